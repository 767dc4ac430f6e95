#include "madlab/report/html_reporter.h"

#include "madlab/report/html_report.h"

namespace madlab {

void HtmlReporter::report(const StudyOutput&) {
    const std::string path = folder_.report_path();
    write_report(folder_.read(), path, options_);
    out_ << "report: " << path << "\n";
    out_.flush();
}

}  // namespace madlab
