// The dashboard's HTML: one page (sweep list + workers at `/`, one sweep at `/sweeps/<id>`) whose
// script polls /api every 2 s and redraws, so it updates live without reloads; and the login form.
#pragma once

#include <string>

namespace hkv::coordinator {

const std::string& dashboard_html();
// The login form; `message` (escaped) is shown above it ("" for none).
std::string login_html(const std::string& message);

}  // namespace hkv::coordinator
