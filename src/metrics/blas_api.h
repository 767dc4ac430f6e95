#pragma once
// The OpenBLAS entry points the metrics call, resolved at run time (see madlab/metrics/blas.h).
// Private to the metrics layer. Matrices are column-major, as BLAS and LAPACK want them.

#include <cstddef>

namespace madlab::blas {

// CBLAS enums (cblas.h values).
enum Order { kRowMajor = 101, kColMajor = 102 };
enum Transpose { kNoTrans = 111, kTrans = 112 };
enum UpLo { kUpper = 121, kLower = 122 };

struct Api {
    // openblas_set_num_threads: set to 1 at load; only benchmarks change it (and restore it).
    void (*set_num_threads)(int);
    void (*sgemm)(int order, int ta, int tb, int m, int n, int k, float alpha, const float* a,
                  int lda, const float* b, int ldb, float beta, float* c, int ldc);
    void (*dgemm)(int order, int ta, int tb, int m, int n, int k, double alpha, const double* a,
                  int lda, const double* b, int ldb, double beta, double* c, int ldc);
    void (*dsyrk)(int order, int uplo, int trans, int n, int k, double alpha, const double* a,
                  int lda, double beta, double* c, int ldc);
    // LAPACK (gfortran calling convention: every argument by pointer, then the hidden lengths
    // of the character arguments, which gfortran 8 and later may rely on).
    void (*dpotrf)(const char* uplo, const int* n, double* a, const int* lda, int* info,
                   std::size_t uplo_len);
    void (*dsygst)(const int* itype, const char* uplo, const int* n, double* a, const int* lda,
                   const double* b, const int* ldb, int* info, std::size_t uplo_len);
    void (*dsyevd)(const char* jobz, const char* uplo, const int* n, double* a, const int* lda,
                   double* w, double* work, const int* lwork, int* iwork, const int* liwork,
                   int* info, std::size_t jobz_len, std::size_t uplo_len);
};

// The loaded and enabled OpenBLAS, or nullptr (callers then use Eigen).
const Api* api();

}  // namespace madlab::blas
