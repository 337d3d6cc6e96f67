#pragma once
// At most N heavy jobs run at once for one account, whatever number of tokens it holds. The
// worker pools share threads out per token or source (they run before authentication, so the
// account is not known yet); without this, an account that logged in ten times would hold ten
// fair shares and could occupy every worker. Checked right after authentication: a job over the
// cap is refused at once (429) and holds its worker only for the token lookup.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace tatou {

class AccountJobs {
public:
    explicit AccountJobs(std::size_t per_account) : per_account_(per_account) {}

    // Held for the length of one job; empty when the account was already at its cap.
    class Ticket {
    public:
        Ticket() = default;
        Ticket(Ticket&& other) noexcept : jobs_(other.jobs_), account_(other.account_) { other.jobs_ = nullptr; }
        Ticket& operator=(Ticket&&) = delete;
        ~Ticket();
        explicit operator bool() const { return jobs_ != nullptr; }

    private:
        friend class AccountJobs;
        Ticket(AccountJobs* jobs, std::int64_t account) : jobs_(jobs), account_(account) {}
        AccountJobs* jobs_ = nullptr;
        std::int64_t account_ = 0;
    };

    Ticket enter(std::int64_t account);
    std::size_t running(std::int64_t account) const;

private:
    void leave(std::int64_t account);

    std::size_t per_account_;
    mutable std::mutex mu_;
    std::unordered_map<std::int64_t, std::size_t> running_;
};

}  // namespace tatou
