#include "api/handlers.hpp"
#include "api/json_body.hpp"
#include "core/error.hpp"
#include "obs/telemetry.hpp"

namespace tatou::api {

namespace {

// The audit log may name an account only by a keyed hash of its email.
void note_email(Request& request, const Services& services, std::string_view email) {
    if (services.telemetry != nullptr) request.facts.email_hash = services.telemetry->email_hash(email_key(email));
}

void note_issued(Request& request, const IssuedToken& issued) {
    request.facts.user_id = issued.user;
    request.facts.token_id = obs::Telemetry::token_id(issued.token);
}

}  // namespace

Reply create_user(Request& request, Services& services) {
    const JsonBody body(request, {"email", "login", "password"});
    NewAccount account;
    account.email = body.required_string("email", 320);
    account.login = body.required_string("login", 64);
    account.password = body.required_string("password", 1024);
    note_email(request, services, account.email);
    const User user = services.accounts.create(account, request.client_ip);
    request.facts.user_id = user.id;
    request.facts.user_name = user.login;
    return json_reply(201, {{"id", user.id}, {"email", user.email}, {"login", user.login}});
}

Reply login(Request& request, Services& services) {
    const JsonBody body(request, {"email", "password"});
    const auto email = body.optional_string("email", 320);
    const auto password = body.optional_string("password", 1024);
    if (!email || !password || email->empty() || password->empty())
        throw Error(Errc::bad_request, Reason::bad_input, "email and password are required");
    note_email(request, services, *email);
    const auto issued = services.accounts.login(request.client_ip, *email, *password);
    note_issued(request, issued);
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
    if (replacement) {
        // Revoking one's sessions always works (routes.cpp); changing the password creates state.
        require_writable(services);
        services.accounts.change_password(*request.user, request.client_ip, *current, *replacement);
    }
    services.accounts.logout_all(*request.user);
    return json_reply(200, {{"message", "All sessions logged out."}});
}

Reply refresh_token(Request& request, Services& services) {
    const auto issued = services.accounts.refresh(*request.user);
    note_issued(request, issued);
    return json_reply(200, {{"token", issued.token}, {"token_type", "bearer"}, {"expires_in", issued.expires_in}});
}

}  // namespace tatou::api
