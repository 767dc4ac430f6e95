#include "madlab/store/folder_contents.h"

#include <algorithm>
#include <filesystem>

namespace madlab {

namespace {

template <class T>
void append_unique(std::vector<T>& list, const T& value) {
    if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

}  // namespace

std::string StudyFolder::study_name() const {
    const auto study = config.find("study");
    if (study != config.end() && study->contains("name") && (*study)["name"].is_string())
        return (*study)["name"].get<std::string>();
    return std::filesystem::path(dir).filename().string();
}

std::string StudyFolder::study_description() const {
    const auto study = config.find("study");
    if (study != config.end() && study->contains("description") &&
        (*study)["description"].is_string())
        return (*study)["description"].get<std::string>();
    return "";
}

LastGenerations last_generations(const std::vector<SummaryRow>& summary) {
    LastGenerations last;
    for (const auto& row : summary) {
        int& g = last[{row.setting, row.metric}];
        g = std::max(g, row.generation);
    }
    return last;
}

bool is_paired_record(const Record& record, const LastGenerations& last) {
    if (record.generation == 0) return true;
    const auto it = last.find({record.setting, record.metric});
    return it != last.end() && record.generation == it->second;
}

void list_settings_and_metrics(StudyFolder& folder) {
    for (const auto& row : folder.summary) {
        append_unique(folder.settings, row.setting);
        append_unique(folder.metrics, row.metric);
    }
}

}  // namespace madlab
