#include "leak/analysis.hpp"

#include <opencv2/calib3d.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include <algorithm>
#include <cmath>

namespace tatou::leak {

namespace {

constexpr double kFeatureSide = 1400;  // longer side for feature matching, pixels
constexpr int kMinInliers = 40;

struct Features {
    double scale = 1;  // feature image = full image × scale
    std::vector<cv::KeyPoint> points;
    cv::Mat descriptors;
};

Features features(const cv::Mat& img) {
    Features f;
    f.scale = std::min(1.0, kFeatureSide / std::max(img.cols, img.rows));
    cv::Mat small;
    cv::resize(img, small, cv::Size(), f.scale, f.scale, cv::INTER_AREA);
    // 3,000 points: matching is brute force (quadratic), and 6,000 cost about 1 s of server CPU
    // per identification with no change in the leaker's false-match probability (bench/RESULTS.md).
    auto orb = cv::ORB::create(3000, 1.2f, 8, 15, 0, 2, cv::ORB::HARRIS_SCORE, 15);
    orb->detectAndCompute(small, cv::noArray(), f.points, f.descriptors);
    return f;
}

// The similarity mapping leak pixels to original pixels (2×3, full resolution), and its inliers.
int match(const Features& leak, const Features& orig, cv::Mat& transform) {
    if (leak.descriptors.empty() || orig.descriptors.empty()) return 0;
    cv::BFMatcher matcher(cv::NORM_HAMMING);
    std::vector<std::vector<cv::DMatch>> knn;
    matcher.knnMatch(leak.descriptors, orig.descriptors, knn, 2);
    std::vector<cv::Point2f> from, to;
    for (const auto& m : knn) {
        if (m.size() < 2 || m[0].distance > 0.8f * m[1].distance) continue;
        from.push_back(leak.points[m[0].queryIdx].pt * (1.0 / leak.scale));
        to.push_back(orig.points[m[0].trainIdx].pt * (1.0 / orig.scale));
    }
    if (from.size() < static_cast<std::size_t>(kMinInliers)) return 0;
    std::vector<uchar> inliers;
    transform = cv::estimateAffinePartial2D(from, to, inliers, cv::RANSAC, 4.0, 4000, 0.995, 10);
    if (transform.empty()) return 0;
    return static_cast<int>(std::count(inliers.begin(), inliers.end(), 1));
}

cv::Mat ink(const cv::Mat& gray) {  // text bright on black, float: what ECC correlates
    cv::Mat f;
    gray.convertTo(f, CV_32F, -1.0 / 255, 1.0);
    return f;
}

// Refines the registration with ECC (affine) at half resolution; keeps the RANSAC one on failure.
void refine(const cv::Mat& orig, const cv::Mat& leak, cv::Mat& transform) {
    const double s = 0.5;
    cv::Mat o, l;
    cv::resize(ink(orig), o, cv::Size(), s, s, cv::INTER_AREA);
    cv::Mat warped;
    cv::warpAffine(ink(leak), warped, transform, orig.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
    cv::resize(warped, l, cv::Size(), s, s, cv::INTER_AREA);
    cv::GaussianBlur(o, o, cv::Size(5, 5), 0);
    cv::GaussianBlur(l, l, cv::Size(5, 5), 0);
    cv::Mat w = cv::Mat::eye(2, 3, CV_32F);
    try {
        cv::findTransformECC(o, l, w, cv::MOTION_AFFINE,
                             cv::TermCriteria(cv::TermCriteria::COUNT | cv::TermCriteria::EPS, 60, 1e-5), cv::noArray(), 1);
    } catch (const cv::Exception&) {
        return;
    }
    // w maps original (half-res) coordinates to warped-leak ones; compose: leak -> original.
    cv::Mat w64;
    w.convertTo(w64, CV_64F);
    w64.at<double>(0, 2) /= s;
    w64.at<double>(1, 2) /= s;
    cv::Mat W = cv::Mat::eye(3, 3, CV_64F), T = cv::Mat::eye(3, 3, CV_64F);
    w64.copyTo(W.rowRange(0, 2));
    transform.copyTo(T.rowRange(0, 2));
    const cv::Mat refined = W.inv() * T;
    refined.rowRange(0, 2).copyTo(transform);
}

// Removes a + b·x + c·y from each axis (least squares), the registration's residue.
void remove_plane(std::vector<LineShift>& lines, const std::vector<cv::Point2d>& at) {
    const int n = static_cast<int>(lines.size());
    if (n < 6) {
        if (n == 0) return;
        double mx = 0, my = 0;
        for (const auto& l : lines) mx += l.dx, my += l.dy;
        for (auto& l : lines) l.dx -= mx / n, l.dy -= my / n;
        return;
    }
    cv::Mat A(n, 3, CV_64F), bx(n, 1, CV_64F), by(n, 1, CV_64F);
    for (int i = 0; i < n; ++i) {
        A.at<double>(i, 0) = 1;
        A.at<double>(i, 1) = at[i].x / 100;
        A.at<double>(i, 2) = at[i].y / 100;
        bx.at<double>(i) = lines[i].dx;
        by.at<double>(i) = lines[i].dy;
    }
    cv::Mat cx, cy;
    cv::solve(A, bx, cx, cv::DECOMP_SVD);
    cv::solve(A, by, cy, cv::DECOMP_SVD);
    const cv::Mat rx = bx - A * cx, ry = by - A * cy;
    for (int i = 0; i < n; ++i) lines[i].dx = rx.at<double>(i), lines[i].dy = ry.at<double>(i);
}

std::vector<LineShift> measure(const cv::Mat& orig, const cv::Mat& registered, const cv::Mat& valid,
                               const PageLayout& layout, double dpi) {
    const double s = dpi / 72;
    const cv::Mat o = ink(orig), l = ink(registered);
    std::vector<LineShift> out;
    std::vector<cv::Point2d> at;
    const auto& lines = layout.lines;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const double size = std::max(lines[i].size, 4.0);
        const double base = (layout.ury - lines[i].y) * s;
        double top = base - 0.95 * size * s, bottom = base + 0.35 * size * s;
        // Never reach into the neighbouring lines' bands.
        if (i > 0) top = std::max(top, ((layout.ury - lines[i - 1].y) * s + base) / 2 - 0.2 * size * s);
        if (i + 1 < lines.size()) bottom = std::min(bottom, ((layout.ury - lines[i + 1].y) * s + base) / 2 + 0.5 * size * s);
        int y0 = static_cast<int>(std::floor(top)), y1 = static_cast<int>(std::ceil(bottom));
        y0 = std::max(y0, 0);
        y1 = std::min(y1, orig.rows);
        if (y1 - y0 < 6) continue;
        // The band's inked columns in the original, with a margin.
        cv::Mat band = o.rowRange(y0, y1);
        cv::Mat col_sum;
        cv::reduce(band, col_sum, 0, cv::REDUCE_SUM);
        int x0 = -1, x1 = -1;
        for (int x = 0; x < col_sum.cols; ++x)
            if (col_sum.at<float>(x) > 0.5f) {
                if (x0 < 0) x0 = x;
                x1 = x;
            }
        if (x0 < 0 || x1 - x0 < 20) continue;
        x0 = std::max(0, x0 - 6);
        x1 = std::min(orig.cols, x1 + 7);
        // Keep the columns the leak covers over the whole band height (a crop or a screenshot
        // shows part of a line; the registered valid area is convex, so they form one run).
        cv::Mat covered;
        cv::reduce(valid.rowRange(y0, y1), covered, 0, cv::REDUCE_MIN);
        while (x0 < x1 && covered.at<float>(x0) < 0.5f) ++x0;
        while (x1 > x0 && covered.at<float>(x1 - 1) < 0.5f) --x1;
        if (x1 - x0 < 60) continue;  // too little of the line left to measure
        const cv::Rect r(x0, y0, x1 - x0, y1 - y0);
        if (cv::mean(valid(r))[0] < 0.98) continue;
        cv::Mat tpl, img;
        cv::GaussianBlur(o(r), tpl, cv::Size(3, 3), 0);
        cv::GaussianBlur(l(r), img, cv::Size(3, 3), 0);
        cv::Mat w = cv::Mat::eye(2, 3, CV_32F);
        try {
            const double rho = cv::findTransformECC(
                tpl, img, w, cv::MOTION_TRANSLATION,
                cv::TermCriteria(cv::TermCriteria::COUNT | cv::TermCriteria::EPS, 60, 1e-6), cv::noArray(), 1);
            if (rho < 0.5) continue;
        } catch (const cv::Exception&) {
            continue;
        }
        const double tx = w.at<float>(0, 2), ty = w.at<float>(1, 2);
        if (std::fabs(tx) > 4 || std::fabs(ty) > 4) continue;  // not this line
        out.push_back({i, tx / s, -ty / s});
        at.emplace_back((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    }
    remove_plane(out, at);
    return out;
}

}  // namespace

std::vector<PageEvidence> analyse(const std::vector<cv::Mat>& originals, const DocLayout& layout,
                                  const std::vector<cv::Mat>& leaks, double dpi) {
    std::vector<Features> orig_features(originals.size());
    for (std::size_t p = 0; p < originals.size(); ++p)
        if (!originals[p].empty() && p < layout.pages.size() && layout.pages[p].rotate == 0)
            orig_features[p] = features(originals[p]);
    std::vector<PageEvidence> out;
    for (std::size_t k = 0; k < leaks.size(); ++k) {
        if (leaks[k].empty()) continue;
        const Features lf = features(leaks[k]);
        int best = -1, best_inliers = 0;
        cv::Mat best_t;
        for (std::size_t p = 0; p < originals.size(); ++p) {
            cv::Mat t;
            const int n = match(lf, orig_features[p], t);
            if (n > best_inliers) best = static_cast<int>(p), best_inliers = n, best_t = t;
        }
        if (best < 0 || best_inliers < kMinInliers) continue;
        const cv::Mat& orig = originals[best];
        // A leak at a finer resolution than the render is brought down by area averaging first
        // (warpAffine alone would alias), which also averages the scanner's noise.
        cv::Mat leak = leaks[k];
        const double scale0 = std::hypot(best_t.at<double>(0, 0), best_t.at<double>(1, 0));
        if (scale0 < 0.8) {
            cv::resize(leaks[k], leak, cv::Size(), scale0, scale0, cv::INTER_AREA);
            best_t.colRange(0, 2) *= 1.0 / scale0;
        }
        refine(orig, leak, best_t);
        cv::Mat registered, valid;
        cv::warpAffine(leak, registered, best_t, orig.size(), cv::INTER_CUBIC, cv::BORDER_CONSTANT, 255);
        cv::warpAffine(cv::Mat(leak.size(), CV_32F, cv::Scalar(1)), valid, best_t, orig.size(), cv::INTER_NEAREST,
                       cv::BORDER_CONSTANT, 0);
        PageEvidence e;
        e.leak_index = static_cast<int>(k);
        e.page = best;
        e.inliers = best_inliers;
        const double a = best_t.at<double>(0, 0), b = best_t.at<double>(1, 0);
        e.scale = std::hypot(a, b) * leak.cols / leaks[k].cols;
        e.rotation_deg = std::atan2(b, a) * 180 / CV_PI;
        e.lines = measure(orig, registered, valid, layout.pages[best], dpi);
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace tatou::leak
