#pragma once
// The page as a reporter of a run or an analysis (store/reporter.h): writes DIR/report.html and
// prints "report: PATH". The page is made from the folder's files, as `madlab report DIR` makes
// it, not from the StudyOutput, so that both give the same page; it therefore runs after the
// reporters that write those files.

#include <ostream>

#include "madlab/report/charts.h"
#include "madlab/store/reporter.h"
#include "madlab/store/run_folder.h"

namespace madlab {

class HtmlReporter : public Reporter {
public:
    HtmlReporter(std::ostream& out, RunFolder folder, ReportOptions options = {})
        : out_(out), folder_(std::move(folder)), options_(std::move(options)) {}
    // Throws DataError (RunFolder::read) when the folder cannot be read.
    void report(const StudyOutput& output) override;

private:
    std::ostream& out_;
    RunFolder folder_;
    ReportOptions options_;
};

}  // namespace madlab
