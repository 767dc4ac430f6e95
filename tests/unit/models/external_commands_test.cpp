// check_external_commands: the commands of the external families (docs/external.md).

#include <gtest/gtest.h>

#include <string>

#include "madlab/core/error.h"
#include "madlab/models/external.h"

namespace madlab {
namespace {

const std::string kFit = "python3 train.py --data {train} --out {model_dir}";
const std::string kSample = "python3 sample.py --model {model_dir} --n {n} --out {samples}";

// The message of the ConfigError that check_external_commands throws for these commands; ""
// when it accepts them.
std::string error_of(const std::string& fit, const std::string& sample) {
    ExternalOptions options;
    options.fit = fit;
    options.sample = sample;
    try {
        check_external_commands(options);
        return "";
    } catch (const ConfigError& e) {
        return e.what();
    }
}

void expect_contains(const std::string& text, const std::string& part) {
    EXPECT_NE(text.find(part), std::string::npos) << "no '" << part << "' in: " << text;
}

TEST(ExternalCommands, APlaceholderInsideTheCommandsOwnQuotesIsRefusedWithTheFix) {
    // A setting named `x"; rm -rf ~; "` would run inside the user's double quotes.
    std::string e = error_of(kFit, "python3 sample.py --name \"{setting}\" --out {samples}");
    expect_contains(e, "model.sample");
    expect_contains(e, "{setting} is inside double quotes");
    expect_contains(e, "shell code");
    expect_contains(e, "model.sample = \"python3 sample.py --name {setting} --out {samples}\"");

    e = error_of("sh -c 'python3 train.py {train} > {model_dir}/log'", kSample);
    expect_contains(e, "model.fit");
    expect_contains(e, "{train} is inside single quotes");
    expect_contains(e, "model.fit = \"sh -c 'python3 train.py '{train}' > '{model_dir}'/log'\"");
    expect_contains(e, "sh -c 'echo \"$1\"' sh {train}");  // the way for a nested shell

    // Only the placeholder leaves the quotes: the rest keeps its meaning.
    e = error_of("python3 train.py --data {train} --out \"{model_dir}/m.pt\"", kSample);
    expect_contains(e, "--out {model_dir}\"/m.pt\"");
    e = error_of(kFit, "python3 s.py --out {samples} --tag $'{setting}'");
    expect_contains(e, "{setting} is inside single quotes");
    expect_contains(e, "--tag {setting}\"");
    e = error_of(kFit, "python3 s.py --out {samples} --tag \"{chain_seed}{setting}\"");
    expect_contains(e, "--tag {chain_seed}{setting}\"");
    e = error_of(kFit, "echo \\{setting} > {samples}");
    expect_contains(e, "{setting} is after a backslash");
    expect_contains(e, "model.sample = \"echo {setting} > {samples}\"");
}

TEST(ExternalCommands, QuotesElsewhereAreAccepted) {
    EXPECT_EQ(error_of(kFit, kSample), "");
    // Quotes around other words, literal braces inside quotes, a placeholder in a command
    // substitution (unquoted text again), an escaped quote outside quotes.
    EXPECT_EQ(error_of("echo \"it's\" 'a \"b\"' && " + kFit,
                       "printf '{{\"text\": \"x\"}}\\n' > {samples}"),
              "");
    EXPECT_EQ(error_of("python3 t.py --dir \"$(dirname {train})\" --out {model_dir}",
                       "echo \\' $'it\\'s' `cat {model_dir}/n` > {samples}"),
              "");
}

}  // namespace
}  // namespace madlab
