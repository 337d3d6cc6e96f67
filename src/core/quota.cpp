#include "core/quota.hpp"

#include <string>

namespace tatou {

void refuse_quota(const QuotaExceeded& exceeded) {
    using Kind = QuotaExceeded::Kind;
    const char* name = exceeded.kind == Kind::documents ? "documents"
                       : exceeded.kind == Kind::bytes   ? "bytes"
                                                        : "versions";
    Error e(exceeded.kind == Kind::bytes ? Errc::too_large : Errc::rate_limited, Reason::quota_exceeded,
            std::string("storage quota exceeded: ") + name + " (limit " + std::to_string(exceeded.limit) + ")");
    e.quota = Error::Quota{name, exceeded.limit, exceeded.used};
    throw e;
}

}  // namespace tatou
