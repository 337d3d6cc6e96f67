#pragma once
// The private listener (metrics and containment) on an I/O thread and a worker pool of its own,
// with its own connection cap and header limits: it stays responsive when the public listener
// is flooded or the database is locked, which is when an operator needs it.
#include <memory>

#include "core/services.hpp"

namespace tatou::http {

struct HttpOptions;

class AdminListener {
public:
    AdminListener(const HttpOptions& options, Services& services);  // binds; throws if it cannot
    ~AdminListener();                                                // stops and joins
    AdminListener(const AdminListener&) = delete;
    AdminListener& operator=(const AdminListener&) = delete;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tatou::http
