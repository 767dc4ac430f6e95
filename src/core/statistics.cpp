#include "madlab/core/statistics.h"

#include <cmath>

namespace madlab {

double sample_mean(std::span<const double> values) {
    double sum = 0.0;
    for (double v : values) sum += v;
    return sum / static_cast<double>(values.size());
}

double sample_std(std::span<const double> values, double mean) {
    if (values.size() < 2) return 0.0;
    double squares = 0.0;
    for (double v : values) squares += (v - mean) * (v - mean);
    return std::sqrt(squares / static_cast<double>(values.size() - 1));
}

double standard_error(double sd, std::size_t n) { return sd / std::sqrt(static_cast<double>(n)); }

double student_t_975(std::size_t df) {
    static const double table[] = {0,      12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646,
                                   2.3060, 2.2622,  2.2281, 2.2010, 2.1788, 2.1604, 2.1448, 2.1314,
                                   2.1199, 2.1098,  2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687,
                                   2.0639, 2.0595,  2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
    if (df == 0) return 0.0;
    if (df <= 30) return table[df];
    // Cornish-Fisher expansion of t around the normal quantile z (Abramowitz & Stegun 26.7.5).
    const double z = 1.959963984540054;
    const double n = static_cast<double>(df);
    const double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
    return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n) +
           (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * n * n * n);
}

double ci95_half_width(double sd, std::size_t n) {
    return n > 1 ? student_t_975(n - 1) * sd / std::sqrt(static_cast<double>(n)) : 0.0;
}

}  // namespace madlab
