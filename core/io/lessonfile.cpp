#include "io/lessonfile.h"

#include "common/error.h"
#include "common/activation.h"
#include "io/file.h"
#include "nn/initializer.h"
#include "nn/layer.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>

namespace rnnscope {

namespace {

std::string trim(const std::string &s)
{
    std::size_t a = 0, b = s.size();
    while (a < b && std::isspace(static_cast<unsigned char>(s[a])))
        ++a;
    while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1])))
        --b;
    return s.substr(a, b - a);
}

std::string lower(std::string s)
{
    for (char &c : s)
        c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

[[noreturn]] void refuse(const std::string &path, int line, const std::string &problem)
{
    throw Error(ErrorKind::MalformedHeader, path + ":" + std::to_string(line) + ": " + problem);
}

// "(1, 10, 5)" → {1, 10, 5}; nullopt when it is not a tuple of integers.
std::optional<std::vector<long long>> tupleOf(const std::string &text)
{
    std::string s = trim(text);
    if (!s.empty() && s.front() == '(' && s.back() == ')')
        s = s.substr(1, s.size() - 2);
    std::vector<long long> out;
    std::stringstream in(s);
    std::string part;
    while (std::getline(in, part, ',')) {
        part = trim(part);
        if (part.empty() && in.eof() && !out.empty())
            break; // "(5,)": Python's one-tuple
        if (part.empty() || !std::all_of(part.begin(), part.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
            return std::nullopt;
        out.push_back(std::stoll(part));
    }
    if (out.empty())
        return std::nullopt;
    return out;
}

// @model's words: separated by blanks, a value in quotes (key="a b, c") holding blanks.
std::vector<std::string> modelWords(const std::string &arg, const std::string &path, int line)
{
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < arg.size()) {
        if (std::isspace(static_cast<unsigned char>(arg[i]))) {
            ++i;
            continue;
        }
        std::string w;
        while (i < arg.size() && !std::isspace(static_cast<unsigned char>(arg[i]))) {
            if (arg[i] == '"') {
                const std::size_t close = arg.find('"', i + 1);
                if (close == std::string::npos)
                    refuse(path, line, "@model's quote in '" + arg.substr(i > 30 ? i - 30 : 0, 60) + "' is not closed");
                w += arg.substr(i, close + 1 - i);
                i = close + 1;
                continue;
            }
            w += arg[i++];
        }
        out.push_back(w);
    }
    return out;
}

// Whether a step's @model asks for a network: stack=, dims with [M1,M2,…], layer=.
bool asksForNetwork(const LessonStep &step)
{
    return std::any_of(step.model.begin(), step.model.end(), [](const auto &kv) {
        return kv.first == "stack" || kv.first == "layer" || (kv.first == "dims" && kv.second.find('[') != std::string::npos);
    });
}

std::optional<double> numberOf(const std::string &text)
{
    std::string s;
    for (char c : trim(text))
        if (c != '_' && c != ',' && c != ' ')
            s += c;
    if (s.empty())
        return std::nullopt;
    try {
        std::size_t used = 0;
        const double v = std::stod(s, &used);
        return used == s.size() ? std::optional<double>(v) : std::nullopt;
    } catch (...) {
        return std::nullopt;
    }
}

} // namespace

const char *questionKindName(QuestionKind k)
{
    switch (k) {
    case QuestionKind::Shape: return "shape";
    case QuestionKind::Count: return "count";
    case QuestionKind::Number: return "number";
    case QuestionKind::Choice: return "choice";
    }
    return "count";
}

const std::vector<std::string> &lessonModelKeys()
{
    static const std::vector<std::string> keys = {"cell", "dims", "seed", "return_sequences", "activation", "dense_activation",
                                                  "dtype", "reset_after", "init", "weights", "input", "task", "stack", "layer"};
    return keys;
}

Lesson parseLesson(const std::string &text, const std::string &path)
{
    Lesson lesson;
    lesson.path = path;
    std::stringstream in(text);
    std::string raw;
    int n = 0;
    LessonStep *step = nullptr;
    std::vector<std::string> textLines;
    const auto closeText = [&] {
        if (!step)
            return;
        // Trailing blank lines go; paragraphs stay separated by one blank line.
        while (!textLines.empty() && trim(textLines.back()).empty())
            textLines.pop_back();
        std::string joined;
        bool blank = false;
        for (const std::string &l : textLines) {
            if (trim(l).empty()) {
                blank = !joined.empty();
                continue;
            }
            if (!joined.empty())
                joined += blank ? "\n\n" : "\n";
            blank = false;
            joined += trim(l);
        }
        step->text = joined;
        textLines.clear();
    };
    while (std::getline(in, raw)) {
        ++n;
        if (!raw.empty() && raw.back() == '\r')
            raw.pop_back();
        const std::string line = trim(raw);
        if (n == 1) {
            if (line.rfind("# ", 0) != 0 || trim(line.substr(2)).empty())
                refuse(path, n, "a lesson starts with its title: '# Title', not '" + line.substr(0, 40) + "'");
            lesson.title = trim(line.substr(2));
            continue;
        }
        if (line.rfind("%", 0) == 0)
            continue;
        if (line.rfind("## ", 0) == 0 || line == "##") {
            closeText();
            lesson.steps.emplace_back();
            step = &lesson.steps.back();
            step->title = trim(line.substr(2));
            step->line = n;
            if (step->title.empty())
                refuse(path, n, "a step needs a title after '## '");
            continue;
        }
        if (line.rfind("# ", 0) == 0)
            refuse(path, n, "a second title '# …': steps start with '## '");
        if (!step) {
            if (line.rfind("@", 0) == 0)
                refuse(path, n, "'" + line.substr(0, 30) + "' comes before the first step ('## Title')");
            if (!line.empty())
                lesson.intro += (lesson.intro.empty() ? "" : " ") + line;
            continue;
        }
        if (line.rfind("@", 0) != 0) {
            textLines.push_back(raw);
            continue;
        }
        const std::size_t space = line.find_first_of(" \t");
        const std::string directive = lower(line.substr(1, space == std::string::npos ? std::string::npos : space - 1));
        const std::string arg = space == std::string::npos ? std::string() : trim(line.substr(space));
        if (directive == "model") {
            if (step->modelLine)
                refuse(path, n, "a second @model in the step (the first is on line " + std::to_string(step->modelLine) + ")");
            step->modelLine = n;
            for (const std::string &w : modelWords(arg, path, n)) {
                const std::size_t eq = w.find('=');
                if (eq == std::string::npos || eq == 0 || eq + 1 == w.size())
                    refuse(path, n, "@model takes key=value pairs, not '" + w + "'");
                const std::string key = lower(w.substr(0, eq));
                const auto &keys = lessonModelKeys();
                if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
                    std::string all;
                    for (const std::string &k : keys)
                        all += (all.empty() ? "" : ", ") + k;
                    refuse(path, n, "@model has no key '" + key + "': expected " + all);
                }
                std::string value = w.substr(eq + 1);
                if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                    value = value.substr(1, value.size() - 2);
                if (trim(value).empty())
                    refuse(path, n, "@model " + key + " has an empty value");
                step->model.emplace_back(key, value);
            }
            if (step->model.empty())
                refuse(path, n, "@model without a key=value");
        } else if (directive == "step") {
            const std::string v = lower(arg);
            char *end = nullptr;
            const long t = std::strtol(v.c_str(), &end, 10);
            if (v != "end" && (v.empty() || *end != '\0' || t < -1))
                refuse(path, n, "@step takes a timestep (-1, 0, 1, …) or 'end', not '" + arg + "'");
            step->step = v;
            step->stepLine = n;
        } else if (directive == "point") {
            if (arg.empty() || arg.find_first_of(" \t") != std::string::npos)
                refuse(path, n, "@point takes one view's name (diagram, step-panel, Wx, summary, …), not '" + arg + "'");
            step->point = arg;
            step->pointLine = n;
        } else if (directive == "break") {
            char *end = nullptr;
            const long l = std::strtol(arg.c_str(), &end, 10);
            if (arg.empty() || *end != '\0' || l < 1 || l >= kMaxLayers)
                refuse(path, n, "@break takes the layer (1, 2, …) that stops returning sequences, not '" + arg + "'");
            if (step->breakLine)
                refuse(path, n, "a second @break in the step (the first is on line " + std::to_string(step->breakLine) + ")");
            step->breakLayer = int(l);
            step->breakLine = n;
        } else if (directive == "ask") {
            if (step->question)
                refuse(path, n, "a second @ask in the step (one question per step)");
            const std::size_t sp = arg.find_first_of(" \t");
            const std::string kind = lower(arg.substr(0, sp));
            LessonQuestion q;
            q.line = n;
            if (kind == "shape")
                q.kind = QuestionKind::Shape;
            else if (kind == "count")
                q.kind = QuestionKind::Count;
            else if (kind == "number")
                q.kind = QuestionKind::Number;
            else if (kind == "choice")
                q.kind = QuestionKind::Choice;
            else
                refuse(path, n, "@ask takes shape, count, number or choice, then the answer: not '" + kind + "'");
            q.answer = sp == std::string::npos ? std::string() : trim(arg.substr(sp));
            if (q.answer.empty())
                refuse(path, n, "@ask " + kind + " needs its answer (a value such as {shape.H} may stand for it)");
            step->question = q;
        } else if (directive == "tolerance") {
            const std::optional<double> v = numberOf(arg);
            if (!step->question || step->question->kind != QuestionKind::Number)
                refuse(path, n, "@tolerance belongs after an '@ask number'");
            if (!v || !(*v >= 0))
                refuse(path, n, "@tolerance takes a number ≥ 0, not '" + arg + "'");
            step->question->tolerance = *v;
        } else if (directive == "choices") {
            if (!step->question || step->question->kind != QuestionKind::Choice)
                refuse(path, n, "@choices belongs after an '@ask choice'");
            std::stringstream parts(arg);
            std::string c;
            while (std::getline(parts, c, '|'))
                if (!trim(c).empty())
                    step->question->choices.push_back(trim(c));
            if (step->question->choices.size() < 2)
                refuse(path, n, "@choices needs at least two choices separated by '|'");
        } else {
            refuse(path, n, "unknown directive '@" + directive + "': expected @model, @step, @point, @break, @ask, @tolerance or @choices");
        }
    }
    closeText();
    if (n == 0)
        refuse(path, 1, "the file is empty: a lesson starts with '# Title'");
    if (lesson.steps.empty())
        refuse(path, n, "the lesson has no step ('## Title')");
    for (const LessonStep &s : lesson.steps)
        if (s.question && s.question->kind == QuestionKind::Choice) {
            const auto &cs = s.question->choices;
            if (cs.empty())
                refuse(path, s.question->line, "'@ask choice' needs its '@choices A | B | …'");
            if (s.question->answer.find('{') == std::string::npos
                && std::none_of(cs.begin(), cs.end(), [&](const std::string &c) { return lower(c) == lower(s.question->answer); }))
                refuse(path, s.question->line, "the answer '" + s.question->answer + "' is not one of the @choices");
        }
    return lesson;
}

Lesson readLesson(const std::string &path)
{
    const std::vector<std::uint8_t> bytes = readFileBytes(path, std::uint64_t(1) << 20);
    return parseLesson(std::string(bytes.begin(), bytes.end()), path);
}

ModelRequest lessonModelRequest(const Lesson &lesson, const LessonStep &step)
{
    ModelRequest r;
    const auto bad = [&](const std::string &key, const std::string &value, const std::string &expected) {
        refuse(lesson.path, step.modelLine, "@model " + key + " '" + value + "': expected " + expected);
    };
    const auto boolean = [&](const std::string &key, const std::string &value) {
        const std::string v = lower(value);
        if (v != "true" && v != "false")
            bad(key, value, "true or false");
        return v == "true";
    };
    const std::size_t slash = lesson.path.find_last_of('/');
    const std::string folder = slash == std::string::npos ? std::string() : lesson.path.substr(0, slash + 1);
    for (const auto &[key, value] : step.model) {
        if (key == "cell") {
            const auto k = parseCellKind(value);
            if (!k)
                bad(key, value, "simplernn, lstm or gru");
            r.kind = *k;
            r.config.kind = *k;
        } else if (key == "dims") {
            if (asksForNetwork(step))
                continue; // (a network's: lessonNetworkRequest)
            try {
                r.dims = parseDims(value);
            } catch (const Error &e) {
                bad(key, value, std::string("N,T,D,M,K (") + e.what() + ")");
            }
        } else if (key == "seed") {
            const auto v = numberOf(value);
            if (!v || *v < 0 || std::floor(*v) != *v)
                bad(key, value, "an integer ≥ 0");
            r.config.seed = std::uint64_t(*v);
        } else if (key == "return_sequences") {
            r.returnSequences = boolean(key, value);
            r.config.returnSequences = *r.returnSequences;
        } else if (key == "reset_after") {
            r.resetAfter = boolean(key, value);
            r.config.resetAfter = *r.resetAfter;
        } else if (key == "activation" || key == "dense_activation") {
            const auto a = parseActivation(value);
            if (!a)
                bad(key, value, "an activation such as tanh, relu, sigmoid, linear or softmax");
            (key == "activation" ? r.cell : r.dense) = *a;
            (key == "activation" ? r.config.cell : r.config.dense) = *a;
        } else if (key == "dtype") {
            if (value != "float32" && value != "float64")
                bad(key, value, "float32 or float64");
            r.config.dtype = value == "float32" ? DType::Float32 : DType::Float64;
        } else if (key == "init") {
            const auto s = parseInitScheme(value);
            if (!s)
                bad(key, value, "keras, normal, uniform, identity or zeros");
            r.config.init.scheme = *s;
        } else if (key == "task" || key == "stack" || key == "layer") {
            continue; // (the window sets the model up for the task: lessonTask; a network: lessonNetworkRequest)
        } else if (key == "weights" || key == "input") {
            (key == "weights" ? r.weightsPath : r.inputPath) = !value.empty() && value[0] == '/' ? value : folder + value;
        }
    }
    return r;
}

std::optional<NetworkRequest> lessonNetworkRequest(const Lesson &lesson, const LessonStep &step)
{
    if (!asksForNetwork(step))
        return std::nullopt;
    NetworkRequest r;
    r.model = lessonModelRequest(lesson, step);
    const auto bad = [&](const std::string &key, const std::string &value, const std::string &problem) {
        refuse(lesson.path, step.modelLine, "@model " + key + " '" + value + "': " + problem);
    };
    for (const auto &[key, value] : step.model) {
        if (key == "task")
            refuse(lesson.path, step.modelLine, "@model task=" + value + " sets up one layer → Dense: it does not go with a network");
        try {
            if (key == "dims") {
                r.dims = parseStackDims(value);
            } else if (key == "stack") {
                NetworkStack stack = parseNetworkStack(value);
                r.stack = std::move(stack.layers);
                r.stackWords = std::move(stack.words);
                r.vocabulary = stack.vocabulary;
            }
        } catch (const Error &e) {
            bad(key, value, e.what());
        }
    }
    NetworkConfig c;
    try {
        c = networkConfig(r);
        checkStack(c.layers);
    } catch (const Error &e) {
        refuse(lesson.path, step.modelLine, std::string("@model's network: ") + e.what());
    }
    const int layer = lessonLayer(lesson, step);
    if (layer >= c.layerCount())
        refuse(lesson.path, step.modelLine, "@model layer=" + std::to_string(layer + 1) + ", but the network has " +
                                                std::to_string(c.layerCount()) + (c.layerCount() == 1 ? " layer" : " layers"));
    if (step.breakLayer >= c.layerCount())
        refuse(lesson.path, step.breakLine, "@break " + std::to_string(step.breakLayer) + ": layer " + std::to_string(step.breakLayer) +
                                                " has no recurrent layer above it (the network has " + std::to_string(c.layerCount()) +
                                                (c.layerCount() == 1 ? " layer)" : " layers)"));
    return r;
}

int lessonLayer(const Lesson &lesson, const LessonStep &step)
{
    for (const auto &[key, value] : step.model)
        if (key == "layer") {
            const auto v = numberOf(value);
            if (!v || *v < 1 || *v > kMaxLayers || std::floor(*v) != *v)
                refuse(lesson.path, step.modelLine, "@model layer '" + value + "': expected a layer 1, 2, …");
            return int(*v) - 1;
        }
    return 0;
}

std::optional<TaskKind> lessonTask(const Lesson &lesson, const LessonStep &step)
{
    for (const auto &[key, value] : step.model)
        if (key == "task") {
            const auto t = parseTask(value);
            if (!t)
                refuse(lesson.path, step.modelLine, "@model task '" + value + "': expected sine, echo, parity, adding or copy");
            return t;
        }
    return std::nullopt;
}

bool answerIsRight(const LessonQuestion &q, const std::string &answer, const std::string &given)
{
    switch (q.kind) {
    case QuestionKind::Shape: {
        const auto a = tupleOf(answer), g = tupleOf(given);
        return a && g && *a == *g;
    }
    case QuestionKind::Count: {
        const auto a = numberOf(answer), g = numberOf(given);
        return a && g && std::floor(*g) == *g && *a == *g;
    }
    case QuestionKind::Number: {
        const auto a = numberOf(answer), g = numberOf(given);
        if (!a || !g)
            return false;
        const double tol = q.tolerance > 0 ? q.tolerance : 1e-6 * std::max(1.0, std::abs(*a));
        return std::abs(*a - *g) <= tol;
    }
    case QuestionKind::Choice: {
        const std::string g = lower(trim(given));
        if (g == lower(trim(answer)))
            return true;
        const auto index = numberOf(g);
        if (index && *index >= 1 && *index <= double(q.choices.size()) && std::floor(*index) == *index)
            return lower(q.choices[std::size_t(*index) - 1]) == lower(trim(answer));
        return false;
    }
    }
    return false;
}

} // namespace rnnscope
