#pragma once
// From leaked pixels to line displacements: find which original page each leaked image shows,
// register it to that page's render (ORB features, RANSAC similarity, then ECC affine), and
// measure every text line's displacement against the original with a sub-pixel ECC translation
// fit on the line's band. Registration residue (a global shift, scale or rotation left over) is
// removed by a least-squares plane fit across lines, which depends on the measurements alone and
// so leaves the null model (score.hpp) intact.
#include <opencv2/core.hpp>

#include <vector>

#include "leak/layout.hpp"

namespace tatou::leak {

struct LineShift {
    std::size_t line = 0;
    double dx = 0, dy = 0;  // points, page space (y up)
};

struct PageEvidence {
    int leak_index = 0;  // which leaked image (or leaked PDF page)
    int page = 0;        // which original page it shows
    int inliers = 0;     // feature matches consistent with the registration
    double scale = 1, rotation_deg = 0;
    std::vector<LineShift> lines;
};

// `originals` are the original's pages rendered at `dpi` (empty Mat: not available).
std::vector<PageEvidence> analyse(const std::vector<cv::Mat>& originals, const DocLayout& layout,
                                  const std::vector<cv::Mat>& leaks, double dpi);

}  // namespace tatou::leak
