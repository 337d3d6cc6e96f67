#pragma once
// Per-user storage quotas (TATOU_QUOTA_*): the store refuses the insert that would pass one
// (store/models.hpp); this turns its refusal into the client's answer, naming the quota.
#include "core/error.hpp"
#include "store/models.hpp"

namespace tatou {

// Bytes: 413 (this upload does not fit). Documents and versions: 429, like any other budget;
// no Retry-After, since only deleting frees a slot.
[[noreturn]] void refuse_quota(const QuotaExceeded& exceeded);

}  // namespace tatou
