#include "madlab/core/matrix.h"

namespace madlab {

void append_rows(Matrix& to, const Matrix& rows) {
    if (rows.rows() == 0) return;
    if (to.rows() == 0) {
        to = rows;
        return;
    }
    Matrix joined(to.rows() + rows.rows(), to.cols());
    joined.topRows(to.rows()) = to;
    joined.bottomRows(rows.rows()) = rows;
    to.swap(joined);
}

Matrix select_rows(const Matrix& x, const std::vector<std::size_t>& rows) {
    Matrix out(static_cast<Eigen::Index>(rows.size()), x.cols());
    for (std::size_t i = 0; i < rows.size(); ++i)
        out.row(static_cast<Eigen::Index>(i)) = x.row(static_cast<Eigen::Index>(rows[i]));
    return out;
}

}  // namespace madlab
