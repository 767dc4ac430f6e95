#include "madlab/store/folder_contents.h"

#include <filesystem>

namespace madlab {

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

}  // namespace madlab
