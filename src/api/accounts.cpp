#include "api/handlers.hpp"
#include "api/json_body.hpp"
#include "core/error.hpp"

namespace tatou::api {

Reply create_user(Request& request, Services& services) {
    const JsonBody body(request, {"email", "login", "password"});
    NewAccount account;
    account.email = body.required_string("email", 320);
    account.login = body.required_string("login", 64);
    account.password = body.required_string("password", 1024);
    const User user = services.accounts.create(account);
    return json_reply(201, {{"id", user.id}, {"email", user.email}, {"login", user.login}});
}

Reply login(Request& request, Services& services) {
    const JsonBody body(request, {"email", "password"});
    const auto email = body.optional_string("email", 320);
    const auto password = body.optional_string("password", 1024);
    if (!email || !password || email->empty() || password->empty())
        throw Error(Errc::bad_request, "email and password are required");
    const auto issued = services.accounts.login(request.client_ip, *email, *password);
    return json_reply(200, {{"token", issued.token}, {"token_type", "bearer"}, {"expires_in", issued.expires_in}});
}

Reply logout(Request& request, Services& services) {
    services.accounts.logout(*request.user);
    return json_reply(200, {{"message", "Successfully logged out"}});
}

Reply logout_all(Request& request, Services& services) {
    const JsonBody body(request, {"new_password", "current_password"}, true);
    const auto replacement = body.optional_string("new_password", 1024);
    const auto current = body.optional_string("current_password", 1024);
    if (replacement.has_value() != current.has_value())
        throw Error(Errc::bad_request, "new_password and current_password go together");
    if (replacement) services.accounts.change_password(*request.user, *current, *replacement);
    services.accounts.logout_all(*request.user);
    return json_reply(200, {{"message", "All sessions logged out."}});
}

Reply refresh_token(Request& request, Services& services) {
    const auto issued = services.accounts.refresh(*request.user);
    return json_reply(200, {{"token", issued.token}, {"token_type", "bearer"}, {"expires_in", issued.expires_in}});
}

}  // namespace tatou::api
