#pragma once
// Statistics over seeds: the mean, the sample standard deviation, Student's t quantile and the
// 95% confidence interval of a mean, mean +- t_{0.975, n-1} * sd / sqrt(n). One definition for
// the summaries (store/), the threshold and decomposition estimates (study/) and the report's
// paired changes (report/), so that they compute the same values in the same operations.

#include <cstddef>
#include <span>

namespace madlab {

// The arithmetic mean: the values summed in order, divided by their number (NaN for none).
double sample_mean(std::span<const double> values);

// The sample standard deviation (n - 1) around `mean`: sqrt(sum_i (v_i - mean)^2 / (n - 1)),
// the squares summed in order; 0 for fewer than two values.
double sample_std(std::span<const double> values, double mean);

// The standard error of a mean of n values with sample standard deviation sd: sd / sqrt(n).
double standard_error(double sd, std::size_t n);

// The 0.975 quantile of Student's t with `df` >= 1 degrees of freedom (exact table to 30, then
// the Cornish-Fisher expansion, accurate to 1e-4); 0 for df = 0.
double student_t_975(std::size_t df);

// The half-width of the 95% confidence interval of a mean of n values with sample standard
// deviation sd, t_{0.975, n-1} * sd / sqrt(n) in that order; 0 for fewer than two values.
double ci95_half_width(double sd, std::size_t n);

}  // namespace madlab
