#pragma once
// rnnscope::Lesson — a lesson file: a plain text file of steps that a teacher writes and projects.
//
//   # Title of the lesson                          the first line: '# ' and the title
//   A line or two about the lesson (optional).
//
//   ## The title of a step                         each step starts with '## '
//   @model cell=simplernn dims=1,10,3,5,2 seed=0   the model the step sets (optional)
//   @model stack="lstm 8 seq, lstm 4" dims=1,10,3,[8,4],2 layer=2    … or a network of several layers
//   @break 1                                       layer 1 stops returning sequences (Keras's error)
//   @step 3                                        the timestep to go to: −1 … T−1 or "end"
//   @point summary                                 the view to highlight (the rest is dimmed)
//   Text of the step, with live values: {params.total} parameters, h_3 = {value.h[3][0]} …
//   @ask shape {shape.H}                           a question: shape, count, number, choice
//   @tolerance 1e-4                                (number) how close an answer must be
//   @choices timesteps | features                  (choice) the choices offered
//
// Lines starting with '@' are directives, anywhere in a step; every other line is the step's text
// (Markdown's **bold**, `code` and blank lines between paragraphs). '%' starts a comment line.
// @model keys: cell (simplernn, lstm, gru), dims (N,T,D,M,K), seed, return_sequences (true, false),
// activation, dense_activation, dtype (float32, float64), reset_after (true, false), init (the
// initializer's name), weights and input (files, relative to the lesson file), task (a training
// task the model is then set up for: its shapes, and X a batch of its samples). A value holding
// spaces is quoted: key="a b, c" (no quote inside).
// A network: stack (the --stack text of nn/layer.h, quoted: stack="bi lstm 8 seq, gru 4") and/or
// dims with the units of every layer (N,T,D,[M1,M2,…],K); the cell, activation and reset_after
// keys must then agree with the stack's layers, and task does not go with it. layer (1 … L) is the
// layer the views show (the bottom one without it). @break l (1 … L − 1) then unchecks
// return_sequences on layer l, under another layer: the window shows the stack Keras refuses, with
// its error, and the Fix that checks it again.
// Values in {…} are read from the model on show when the step is shown (run/lessonvalues.h lists
// them; in a network, the layer on show: its shape.X is what it reads, its shape.y what it returns);
// an answer may be one too, so that no number is written into a lesson that the model gives.
//
// Parsing refuses a malformed file with Error(MalformedHeader): "<file>:<line>: <problem>".

#include "io/modelrequest.h"
#include "io/networkrequest.h"
#include "train/task.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rnnscope {

enum class QuestionKind { Shape, Count, Number, Choice };
const char *questionKindName(QuestionKind k); // "shape", "count", "number", "choice"

struct LessonQuestion {
    QuestionKind kind = QuestionKind::Count;
    std::string answer;                // as written: may hold {values}
    double tolerance = 0;              // Number: |answer − given| ≤ tolerance (default 1e-6 relative)
    std::vector<std::string> choices;  // Choice
    int line = 0;
};

struct LessonStep {
    std::string title;
    int line = 0;                                   // the step's '## ' line
    std::vector<std::pair<std::string, std::string>> model; // @model key=value, in order
    int modelLine = 0;
    std::optional<std::string> step;                // @step: "3", "-1", "end"
    int stepLine = 0;
    std::string point;                              // @point: a view's name; empty: none
    int pointLine = 0;
    int breakLayer = 0;                             // @break: the layer (1 …) told not to return sequences; 0 none
    int breakLine = 0;
    std::string text;                               // paragraphs separated by blank lines
    std::optional<LessonQuestion> question;
};

struct Lesson {
    std::string title;
    std::string intro;
    std::string path;  // the file read (for relative paths and messages)
    std::vector<LessonStep> steps;
};

// The model keys @model takes.
const std::vector<std::string> &lessonModelKeys();

Lesson parseLesson(const std::string &text, const std::string &path);
Lesson readLesson(const std::string &path); // at most 1 MiB

// The model a step's @model asks for: what it names, the rest a fresh model's defaults (the
// classic example), files relative to the lesson's folder. Error(MalformedHeader) names the line
// and the value: "<file>:<line>: @model cell 'lstn': expected simplernn, lstm or gru". For a
// network's step, the options its layers share (dims aside: lessonNetworkRequest has them).
ModelRequest lessonModelRequest(const Lesson &lesson, const LessonStep &step);
// The network a step's @model asks for (stack=, or dims with [M1,M2,…]), or nullopt when it asks
// for one layer. Refused like the rest: a stack or dims that do not parse or contradict each other
// or the other keys, a stack Keras refuses, task=, a layer= or the step's @break outside the stack.
std::optional<NetworkRequest> lessonNetworkRequest(const Lesson &lesson, const LessonStep &step);
// The layer the step's @model shows (layer=2 → 1), 0 without layer=.
int lessonLayer(const Lesson &lesson, const LessonStep &step);
// The task a step's @model names (task=adding), or nullopt; an unknown one is refused likewise.
std::optional<TaskKind> lessonTask(const Lesson &lesson, const LessonStep &step);

// Whether `given` answers `q` (whose answer has its values filled in already: `answer`).
// Shapes compare as tuples of integers ("(1,10,5)", "1, 10, 5" and "(1, 10, 5)" are one answer);
// counts as integers (thousands separators allowed); numbers within the tolerance; choices by
// their text (any case) or their number 1, 2, ….
bool answerIsRight(const LessonQuestion &q, const std::string &answer, const std::string &given);

} // namespace rnnscope
