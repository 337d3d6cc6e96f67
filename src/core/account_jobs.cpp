#include "core/account_jobs.hpp"

namespace tatou {

AccountJobs::Ticket::~Ticket() {
    if (jobs_ != nullptr) jobs_->leave(account_);
}

AccountJobs::Ticket AccountJobs::enter(std::int64_t account) {
    std::lock_guard lock(mu_);
    auto& n = running_[account];
    if (per_account_ != 0 && n >= per_account_) {
        if (n == 0) running_.erase(account);
        return {};
    }
    ++n;
    return Ticket(this, account);
}

std::size_t AccountJobs::running(std::int64_t account) const {
    std::lock_guard lock(mu_);
    const auto it = running_.find(account);
    return it == running_.end() ? 0 : it->second;
}

void AccountJobs::leave(std::int64_t account) {
    std::lock_guard lock(mu_);
    const auto it = running_.find(account);
    if (it != running_.end() && --it->second == 0) running_.erase(it);
}

}  // namespace tatou
