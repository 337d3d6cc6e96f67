// Drills against the request surface: malicious uploads, scanners, oversized bodies and slow
// clients.
#include <asio.hpp>
#include <thread>

#include "ops/drills/drill.hpp"

namespace tatou::drills {

namespace {

Req upload_req(Drill& d, const std::string& token, const std::string& filename, const std::string& data) {
    Req r;
    r.method = "POST";
    r.path = "/api/upload-document";
    r.bearer = token;
    r.content_type = "multipart/form-data; boundary=drillb";
    r.body = multipart("drillb", filename, "application/pdf", data);
    r.request_id = d.ctx.next_id("up");
    return r;
}

void healthz_alive(Drill& d, const std::string& name) {
    Req h;
    h.path = "/healthz";
    h.source_ip = "127.0.0.1";
    d.check_status(name, d.ctx.call(d, h), 200);
}

}  // namespace

void drill_upload_traversal(Drill& d) {
    auto u = make_user(d, "ut");
    const auto before = d.ctx.scrape(d);
    auto r = upload_req(d, u.token, "../../../../etc/passwd", sample_pdf());
    auto resp = d.ctx.call(d, r);
    d.check_json_error("refused: traversal filename without .pdf -> 400", resp, 400);
    d.expect_event("detected: upload_validation bad_filename", "upload_validation", {r.request_id},
                   {{"/event/reason", "bad_filename"}, {"/user/id", std::to_string(u.id)}}, resp.sent);
    const auto after = d.ctx.scrape(d);
    d.check_delta(before, after, "tatou_uploads_total", {{"result", "bad_name"}}, 1);
    d.check_alert("TatouUploadRejections", before, after, {"tatou_uploads_total"}, false);
    // With a .pdf suffix the name is sanitized, never used as a path.
    r = upload_req(d, u.token, "../../../../tmp/x.pdf", sample_pdf());
    resp = d.ctx.call(d, r);
    const auto name = resp.json.is_object() ? resp.json.value("name", "") : std::string();
    d.check("refused: traversal in a .pdf name is neutralised", resp.status == 201 &&
                name.find('/') == std::string::npos && name.find("..") == std::string::npos,
            "201 with a name free of '/' and '..'", "HTTP " + std::to_string(resp.status) + " name=" + name);
}

void drill_upload_malformed(Drill& d) {
    auto u = make_user(d, "um");
    const auto before = d.ctx.scrape(d);
    auto r = upload_req(d, u.token, "invoice.pdf", "MZ\x90\x00 this is an executable, not a PDF");
    auto resp = d.ctx.call(d, r);
    d.check_json_error("refused: non-PDF content -> 415", resp, 415);
    d.expect_event("detected: upload_validation not_pdf", "upload_validation", {r.request_id},
                   {{"/event/reason", "not_pdf"}}, resp.sent);
    r = upload_req(d, u.token, "broken.pdf", "%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\n%%garbage");
    resp = d.ctx.call(d, r);
    d.check_json_error("refused: unparseable PDF -> 400", resp, 400);
    d.expect_event("detected: upload_validation (unreadable PDF)", "upload_validation", {r.request_id},
                   {{"/event/outcome", "failure"}}, resp.sent);
    const auto after = d.ctx.scrape(d);
    d.check_delta(before, after, "tatou_uploads_total", {{"result", "bad_type"}}, 1);
    d.check_delta(before, after, "tatou_uploads_total", {{"result", "parse_error"}}, 1);
    d.check_alert("TatouUploadRejections", before, after, {"tatou_uploads_total"}, false);
    healthz_alive(d, "server survives the malformed PDF");
}

void drill_scanner(Drill& d) {
    const int n = d.ctx.options().detect_404;
    const auto before = d.ctx.scrape(d);
    const auto b = send_burst(d, n, "scan", [](int i) {
        Req r;
        r.path = "/wp-admin/drill-" + std::to_string(i) + ".php";
        return r;
    });
    const int n404 = b.count(404);
    d.check("refused: every probe -> 404", n404 == n, std::to_string(n) + " x 404", std::to_string(n404) + " x 404");
    d.expect_event("detected: malicious_excess_404", "malicious_excess_404", b.ids,
                   {{"/source/ip", d.source_ip}, {"/event/count", n}}, b.first_sent());
    Req tool;
    tool.path = "/healthz";
    tool.user_agent = "sqlmap/1.7.2#stable (https://sqlmap.org)";
    tool.request_id = d.ctx.next_id("scan-ua");
    const auto resp = d.ctx.call(d, tool);
    d.expect_event("detected: malicious_attack_tool", "malicious_attack_tool", {tool.request_id},
                   {{"/source/ip", d.source_ip}}, resp.sent);
    const auto after = d.ctx.scrape(d);
    d.check_delta(before, after, "tatou_http_requests_total", {{"route", "unmatched"}, {"status", "404"}}, n);
    d.check_delta(before, after, "tatou_security_events_total", {{"action", "malicious_excess_404"}}, 1);
    d.check_delta(before, after, "tatou_security_events_total", {{"action", "malicious_attack_tool"}}, 1);
    d.check_alert("TatouScannerActivity", before, after, {"tatou_security_events_total"}, true,
                  {{{"action", "malicious_excess_404"}}, {{"action", "malicious_attack_tool"}}});
    d.check_block_cycle();
}

void drill_oversized_body(Drill& d) {
    const auto before = d.ctx.scrape(d);
    Req r;
    r.method = "POST";
    r.path = "/api/login";
    r.content_type = "application/json";
    r.body = nlohmann::json{{"email", "big@drill.example"}, {"password", std::string(70 * 1024, 'x')}}.dump();
    r.request_id = d.ctx.next_id("big");
    auto resp = d.ctx.call(d, r);
    d.check_json_error("refused: JSON body > 64 KiB -> 413", resp, 413);
    const auto after = d.ctx.scrape(d);
    d.check_delta(before, after, "tatou_http_requests_total", {{"route", "/api/login"}, {"status", "413"}}, 1);
    healthz_alive(d, "server answers /healthz after the 413");
    // An upload far over the limit: 413 or the connection closed, and the server survives.
    auto u = make_user(d, "ob");
    const auto limit = d.ctx.options().max_upload_bytes;
    auto up = upload_req(d, u.token, "huge.pdf", "%PDF-1.4\n" + std::string(static_cast<std::size_t>(limit) + (1 << 20), 'A'));
    up.timeout_s = 20;
    resp = d.ctx.call(d, up);
    d.check("refused: upload over the limit -> 413 or closed", resp.status == 413 || resp.status == 0,
            "HTTP 413 or connection closed", resp.status == 0 ? "closed: " + resp.error : "HTTP " + std::to_string(resp.status));
    healthz_alive(d, "server answers /healthz after the oversized upload");
}

void drill_slow_client(Drill& d) {
    const int timeout = d.ctx.options().request_timeout;
    const auto url = cli::parse_http_url(d.ctx.options().base_url);
    asio::io_context io;
    auto open = [&]() {
        asio::ip::tcp::resolver resolver(io);
        asio::ip::tcp::socket s(io);
        const auto eps = resolver.resolve(url->host, url->port);
        s.open(eps.begin()->endpoint().protocol());
        s.bind(asio::ip::tcp::endpoint(asio::ip::make_address(d.source_ip), 0));
        s.connect(eps.begin()->endpoint());
        return s;
    };
    // Two stalls: headers never finished, and a body shorter than its Content-Length.
    auto head = open();
    asio::write(head, asio::buffer(std::string("GET /healthz HTTP/1.1\r\nHost: drill\r\nX-Request-ID: ")));
    auto body = open();
    asio::write(body, asio::buffer(std::string("POST /api/login HTTP/1.1\r\nHost: drill\r\nContent-Type: "
                                               "application/json\r\nContent-Length: 200\r\n\r\n{\"email\":")));
    d.result.requests += 2;
    const auto start = std::chrono::steady_clock::now();
    healthz_alive(d, "others are served while two connections stall");
    auto wait_closed = [&](asio::ip::tcp::socket& s) -> double {
        ::timeval tv{timeout + 5, 0};
        ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        std::array<char, 1024> buf{};
        asio::error_code ec;
        while (true) {
            s.read_some(asio::buffer(buf), ec);
            if (ec == asio::error::eof || ec == asio::error::connection_reset) break;
            if (ec) return -1;  // our own receive timeout: the server kept it open
        }
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    };
    const double t1 = wait_closed(head);
    const double t2 = wait_closed(body);
    const double bound = timeout + 2.0;
    auto show = [](double t) { return t < 0 ? std::string("still open") : "closed after " + std::to_string(t) + " s"; };
    d.check("stalled headers closed within TATOU_REQUEST_TIMEOUT (" + std::to_string(timeout) + " s) + 2 s",
            t1 >= 0 && t1 <= bound, "closed within " + std::to_string(bound) + " s", show(t1));
    d.check("stalled body closed within TATOU_REQUEST_TIMEOUT (" + std::to_string(timeout) + " s) + 2 s",
            t2 >= 0 && t2 <= bound, "closed within " + std::to_string(bound) + " s", show(t2));
    healthz_alive(d, "server answers /healthz after the stalls");
}

}  // namespace tatou::drills
