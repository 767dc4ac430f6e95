#include "madlab/report/study_folder.h"

#include "madlab/store/run_folder.h"

namespace madlab {

StudyFolder read_study_folder(const std::string& dir) { return RunFolder(dir).read(); }

}  // namespace madlab
