// Lesson files (io/lessonfile.h) and the live values they name (run/lessonvalues.h): a valid file
// parses into its steps; every kind of mistake is refused with its line; answers are checked as
// a teacher means them; the values equal the model's; every built-in lesson parses, names only
// values its models have, and accepts its own answers.

#include "common/error.h"
#include "io/lessonfile.h"
#include "nn/param.h"
#include "run/lessonvalues.h"
#include "run/model.h"
#include "run/summary.h"

#include <QDir>
#include <QtTest>

using namespace rnnscope;

class TestLesson : public QObject {
    Q_OBJECT

private slots:
    void validLessonParses();
    void mistakesAreRefusedWithTheirLine_data();
    void mistakesAreRefusedWithTheirLine();
    void answersAreCheckedAsMeant();
    void valuesAreTheModels();
    void modelRequestFollowsTheStep();
    void networkRequestFollowsTheStep();
    void networkMistakesAreRefusedWithTheirLine_data();
    void networkMistakesAreRefusedWithTheirLine();
    void builtInLessonsAreWhole_data();
    void builtInLessonsAreWhole();
};

void TestLesson::validLessonParses()
{
    const std::string text = "# Shapes\nAn intro line.\n\n## First\n@model cell=lstm dims=1,10,3,5,2 seed=4\n@step 3\n@point summary\n"
                             "Text with **bold** and {params.total}.\n\nA second paragraph.\n@ask count {params.total}\n"
                             "% a comment\n## Second\n@ask choice b\n@choices a | b | c\n## Third\n@ask number 0.5\n@tolerance 0.01\nEnd.\n";
    const Lesson l = parseLesson(text, "x.lesson");
    QCOMPARE(l.title, std::string("Shapes"));
    QCOMPARE(l.intro, std::string("An intro line."));
    QCOMPARE(l.steps.size(), std::size_t(3));
    const LessonStep &s = l.steps[0];
    QCOMPARE(s.title, std::string("First"));
    QCOMPARE(s.line, 4);
    QCOMPARE(s.model.size(), std::size_t(3));
    QCOMPARE(s.model[0], (std::pair<std::string, std::string>("cell", "lstm")));
    QCOMPARE(*s.step, std::string("3"));
    QCOMPARE(s.point, std::string("summary"));
    QCOMPARE(s.text, std::string("Text with **bold** and {params.total}.\n\nA second paragraph."));
    QVERIFY(s.question && s.question->kind == QuestionKind::Count && s.question->answer == "{params.total}");
    QCOMPARE(l.steps[1].question->choices, (std::vector<std::string>{"a", "b", "c"}));
    QCOMPARE(l.steps[2].question->tolerance, 0.01);
    QCOMPARE(l.steps[2].text, std::string("End."));
}

void TestLesson::mistakesAreRefusedWithTheirLine_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected"); // in the message, after "x.lesson:"
    QTest::newRow("no title") << "## Step\n" << "x.lesson:1: a lesson starts with its title";
    QTest::newRow("empty") << "" << "x.lesson:1: the file is empty";
    QTest::newRow("no step") << "# T\njust text\n" << "x.lesson:2: the lesson has no step";
    QTest::newRow("directive before a step") << "# T\n@step 1\n## S\n" << "x.lesson:2: '@step 1' comes before the first step";
    QTest::newRow("untitled step") << "# T\n## \n" << "x.lesson:2: a step needs a title";
    QTest::newRow("second title") << "# T\n## S\n# U\n" << "x.lesson:3: a second title";
    QTest::newRow("unknown directive") << "# T\n## S\n@zoom 2\n" << "x.lesson:3: unknown directive '@zoom'";
    QTest::newRow("model key") << "# T\n## S\n@model cells=lstm\n" << "x.lesson:3: @model has no key 'cells'";
    QTest::newRow("model pair") << "# T\n## S\n@model lstm\n" << "x.lesson:3: @model takes key=value pairs, not 'lstm'";
    QTest::newRow("two models") << "# T\n## S\n@model cell=gru\n@model seed=1\n" << "x.lesson:4: a second @model in the step (the first is on line 3)";
    QTest::newRow("step value") << "# T\n## S\n@step -2\n" << "x.lesson:3: @step takes a timestep";
    QTest::newRow("step word") << "# T\n## S\n@step last\n" << "x.lesson:3: @step takes a timestep (-1, 0, 1, …) or 'end', not 'last'";
    QTest::newRow("point two words") << "# T\n## S\n@point step panel\n" << "x.lesson:3: @point takes one view's name";
    QTest::newRow("ask kind") << "# T\n## S\n@ask essay 3\n" << "x.lesson:3: @ask takes shape, count, number or choice";
    QTest::newRow("ask answer") << "# T\n## S\n@ask count\n" << "x.lesson:3: @ask count needs its answer";
    QTest::newRow("two questions") << "# T\n## S\n@ask count 1\n@ask count 2\n" << "x.lesson:4: a second @ask";
    QTest::newRow("tolerance alone") << "# T\n## S\n@tolerance 0.1\n" << "x.lesson:3: @tolerance belongs after an '@ask number'";
    QTest::newRow("tolerance value") << "# T\n## S\n@ask number 1\n@tolerance -1\n" << "x.lesson:4: @tolerance takes a number ≥ 0";
    QTest::newRow("choices alone") << "# T\n## S\n@choices a | b\n" << "x.lesson:3: @choices belongs after an '@ask choice'";
    QTest::newRow("one choice") << "# T\n## S\n@ask choice a\n@choices a\n" << "x.lesson:4: @choices needs at least two";
    QTest::newRow("no choices") << "# T\n## S\n@ask choice a\n" << "x.lesson:3: '@ask choice' needs its '@choices";
    QTest::newRow("unclosed quote") << "# T\n## S\n@model stack=\"lstm 8 seq, lstm 4\n" << "x.lesson:3: @model's quote in";
    QTest::newRow("empty value") << "# T\n## S\n@model stack=\"\"\n" << "x.lesson:3: @model stack has an empty value";
    QTest::newRow("break word") << "# T\n## S\n@break first\n" << "x.lesson:3: @break takes the layer (1, 2, …) that stops returning sequences, not 'first'";
    QTest::newRow("break zero") << "# T\n## S\n@break 0\n" << "x.lesson:3: @break takes the layer";
    QTest::newRow("two breaks") << "# T\n## S\n@break 1\n@break 2\n" << "x.lesson:4: a second @break in the step (the first is on line 3)";
    QTest::newRow("answer not a choice") << "# T\n## S\n@ask choice d\n@choices a | b\n" << "x.lesson:3: the answer 'd' is not one of the @choices";
}

void TestLesson::mistakesAreRefusedWithTheirLine()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    try {
        parseLesson(text.toStdString(), "x.lesson");
        QFAIL("accepted");
    } catch (const Error &e) {
        QVERIFY2(QString::fromStdString(e.what()).startsWith(expected), e.what());
    }
}

void TestLesson::answersAreCheckedAsMeant()
{
    LessonQuestion shape{QuestionKind::Shape, "", 0, {}, 1};
    for (const char *given : {"(1, 10, 5)", "1,10,5", " ( 1 ,10, 5 ) "})
        QVERIFY2(answerIsRight(shape, "(1, 10, 5)", given), given);
    for (const char *given : {"(1, 5, 10)", "(1, 10)", "1 10 5", "", "(a, b)"})
        QVERIFY2(!answerIsRight(shape, "(1, 10, 5)", given), given);
    QVERIFY(answerIsRight(shape, "(5,)", "(5,)") && answerIsRight(shape, "(5,)", "5"));
    LessonQuestion count{QuestionKind::Count, "", 0, {}, 1};
    QVERIFY(answerIsRight(count, "100106", "100,106") && answerIsRight(count, "45", " 45 "));
    QVERIFY(!answerIsRight(count, "45", "45.5") && !answerIsRight(count, "45", "44") && !answerIsRight(count, "45", "forty-five"));
    LessonQuestion number{QuestionKind::Number, "", 0.001, {}, 1};
    QVERIFY(answerIsRight(number, "0.4941", "0.4945") && !answerIsRight(number, "0.4941", "0.4955"));
    number.tolerance = 0; // default: 1e-6 relative
    QVERIFY(answerIsRight(number, "-0.4941", "-0.4941000001") && !answerIsRight(number, "-0.4941", "0.4941"));
    LessonQuestion choice{QuestionKind::Choice, "", 0, {"timesteps", "features"}, 1};
    QVERIFY(answerIsRight(choice, "timesteps", "Timesteps") && answerIsRight(choice, "timesteps", "1"));
    QVERIFY(!answerIsRight(choice, "timesteps", "features") && !answerIsRight(choice, "timesteps", "2") && !answerIsRight(choice, "timesteps", "3"));
}

void TestLesson::valuesAreTheModels()
{
    ModelConfig c;
    c.dims = Dims{2, 6, 3, 4, 2};
    c.kind = CellKind::LSTM;
    Model m(c);
    m.randomizeWeights();
    m.randomizeInput();
    const auto v = [&](const std::string &name) { return lessonValue(m, 2, 1, name).value_or("<none>"); };
    QCOMPARE(v("dims.N"), std::string("2"));
    QCOMPARE(v("dims.M"), std::string("4"));
    QCOMPARE(v("cell"), std::string("LSTM"));
    QCOMPARE(v("gates"), std::string("4"));
    QCOMPARE(v("gM"), std::string("16"));
    QCOMPARE(v("t"), std::string("2"));
    QCOMPARE(v("params.total"), std::to_string(modelSummary(c).totalParams));
    QCOMPARE(v("params.rnn"), std::to_string(4 * (3 * 4 + 4 * 4 + 4)));
    QCOMPARE(v("pytorch.params.rnn"), std::to_string(4 * (3 * 4 + 4 * 4) + 2 * 16));
    QCOMPARE(v("params.dense"), std::string("10"));
    QCOMPARE(v("params.Wh"), std::string("64"));
    QCOMPARE(v("shape.X"), std::string("(2, 6, 3)"));
    QCOMPARE(v("shape.x"), std::string("(2, 3)"));
    QCOMPARE(v("shape.H"), std::string("(2, 6, 4)"));
    QCOMPARE(v("shape.y"), std::string("(2, 2)"));
    QCOMPARE(v("shape.Wx"), std::string("(3, 16)"));
    QCOMPARE(v("shape.bh"), std::string("(16,)"));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", m.hidden(3)(1, 2));
    QCOMPARE(v("value.h[3][2]"), std::string(buf));
    std::snprintf(buf, sizeof buf, "%.4f", m.cellState(5)(1, 0));
    QCOMPARE(v("value.c[5][0]"), std::string(buf));
    std::snprintf(buf, sizeof buf, "%.4f", m.output(5)(1, 1));
    QCOMPARE(v("value.y[5][1]"), std::string(buf));
    std::snprintf(buf, sizeof buf, "%.4f", m.inputValue(1, 4, 2));
    QCOMPARE(v("value.x[4][2]"), std::string(buf));
    std::snprintf(buf, sizeof buf, "%.4f", m.weights().Wh(2, 9));
    QCOMPARE(v("value.Wh[2][9]"), std::string(buf));
    std::snprintf(buf, sizeof buf, "%.4f", m.weights().bh(5));
    QCOMPARE(v("value.bh[5]"), std::string(buf));
    // No such value: unknown names, indices outside, y where the model outputs nothing, c of a GRU.
    for (const char *name : {"params.foo", "shape.Q", "value.h[6][0]", "value.h[0][4]", "value.y[3][0]", "value.Wx[3][0]", "value.h[1]",
                             "value.bh[1][0]", "nothing", "value.h[x][0]"})
        QVERIFY2(!lessonValue(m, 2, 1, name), name);
    std::vector<std::string> unknown;
    const std::string filled = fillLessonValues(m, 2, 1, "N = {dims.N}, {nope} and {shape.h}; {unclosed", &unknown);
    QCOMPARE(filled, std::string("N = 2, {nope} and (2, 4); {unclosed"));
    QCOMPARE(unknown, std::vector<std::string>{"nope"});
}

void TestLesson::modelRequestFollowsTheStep()
{
    const Lesson l = parseLesson("# T\n## S\n@model cell=gru dims=2,12,3,4,2 seed=7 return_sequences=true reset_after=false dtype=float64 "
                                 "activation=relu task=adding\n## Bad\n@model cell=lstn\n## Bad task\n@model task=juggling\n",
                                 "/lessons/x.lesson");
    const ModelRequest r = lessonModelRequest(l, l.steps[0]);
    QCOMPARE(*r.kind, CellKind::GRU);
    QCOMPARE(r.dims->T, 12);
    QCOMPARE(r.config.seed, std::uint64_t(7));
    QVERIFY(*r.returnSequences && !*r.resetAfter && r.config.dtype == DType::Float64 && *r.cell == Activation::Relu);
    QCOMPARE(*lessonTask(l, l.steps[0]), TaskKind::Adding);
    const Model m = buildModel(r);
    QCOMPARE(m.config().kind, CellKind::GRU);
    QVERIFY(!m.config().resetAfter);
    try {
        lessonModelRequest(l, l.steps[1]);
        QFAIL("accepted");
    } catch (const Error &e) {
        QCOMPARE(std::string(e.what()), std::string("/lessons/x.lesson:5: @model cell 'lstn': expected simplernn, lstm or gru"));
    }
    QVERIFY_THROWS_EXCEPTION(Error, lessonTask(l, l.steps[2]));
}

void TestLesson::networkRequestFollowsTheStep()
{
    const Lesson l = parseLesson("# T\n## Stack\n@model stack=\"bi lstm 8 seq, gru 4\" dims=2,12,3,[8,4],2 seed=3 layer=2 dtype=float64\n@break 1\n"
                                 "## Units\n@model cell=gru dims=1,10,3,[6,5],0\n## One layer\n@model cell=lstm dims=1,10,3,5,2\n",
                                 "/lessons/x.lesson");
    QCOMPARE(l.steps[0].breakLayer, 1);
    QCOMPARE(l.steps[0].breakLine, 4);
    const std::optional<NetworkRequest> r = lessonNetworkRequest(l, l.steps[0]);
    QVERIFY(r && r->stack && r->dims);
    QCOMPARE(lessonLayer(l, l.steps[0]), 1);
    const NetworkConfig c = networkConfig(*r);
    QCOMPARE(c.layerCount(), 2);
    QVERIFY(c.layers[0].bidirectional && c.layers[0].returnSequences && c.layers[0].cell.kind == CellKind::LSTM);
    QVERIFY(!c.layers[1].returnSequences && c.layers[1].cell.kind == CellKind::GRU && c.layers[1].units == 4);
    QCOMPARE(c.T, 12);
    QCOMPARE(c.K, 2);
    QCOMPARE(c.seed, std::uint64_t(3));
    QCOMPARE(c.dtype, DType::Float64);
    Network net = buildNetwork(*r);
    QCOMPARE(net.layerState(1, 0).config.dims.D, 16); // the concatenated (N, T, 2·8) below it
    // dims with [M1,M2] alone: the cell of every layer, the lower ones returning sequences.
    const NetworkConfig units = networkConfig(*lessonNetworkRequest(l, l.steps[1]));
    QCOMPARE(units.layerCount(), 2);
    QVERIFY(units.layers[0].returnSequences && units.layers[1].cell.kind == CellKind::GRU && units.layers[1].units == 5);
    QCOMPARE(lessonLayer(l, l.steps[1]), 0);
    QVERIFY(!lessonNetworkRequest(l, l.steps[2]));
}

void TestLesson::networkMistakesAreRefusedWithTheirLine_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("stack word") << "# T\n## S\n@model stack=\"lstm 8 sq, lstm 4\"\n" << "x.lesson:3: @model stack 'lstm 8 sq, lstm 4': ";
    QTest::newRow("dims") << "# T\n## S\n@model dims=1,10,3,[8,x],2\n" << "x.lesson:3: @model dims '1,10,3,[8,x],2': ";
    QTest::newRow("units contradict") << "# T\n## S\n@model stack=\"lstm 8 seq, lstm 4\" dims=1,10,3,[8,5],2\n"
                                      << "x.lesson:3: @model's network: --dims gives M2=5";
    QTest::newRow("cell contradicts") << "# T\n## S\n@model stack=\"lstm 8 seq, lstm 4\" cell=gru\n" << "x.lesson:3: @model's network: --cell gru contradicts";
    QTest::newRow("Keras refuses") << "# T\n## S\n@model stack=\"lstm 8, lstm 4\"\n"
                                   << "x.lesson:3: @model's network: Input 0 of layer \"lstm_1\" is incompatible with the layer: expected ndim=3, found ndim=2";
    QTest::newRow("task") << "# T\n## S\n@model stack=\"lstm 8 seq, lstm 4\" task=adding\n" << "x.lesson:3: @model task=adding sets up one layer";
    QTest::newRow("layer outside") << "# T\n## S\n@model stack=\"lstm 8 seq, lstm 4\" layer=3\n" << "x.lesson:3: @model layer=3, but the network has 2 layers";
    QTest::newRow("layer word") << "# T\n## S\n@model stack=\"lstm 8 seq, lstm 4\" layer=top\n" << "x.lesson:3: @model layer 'top': expected a layer 1, 2, …";
    QTest::newRow("break on top") << "# T\n## S\n@model stack=\"lstm 8 seq, lstm 4\"\n@break 2\n"
                                  << "x.lesson:4: @break 2: layer 2 has no recurrent layer above it (the network has 2 layers)";
}

void TestLesson::networkMistakesAreRefusedWithTheirLine()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    try {
        const Lesson l = parseLesson(text.toStdString(), "x.lesson");
        lessonNetworkRequest(l, l.steps[0]);
        QFAIL("accepted");
    } catch (const Error &e) {
        QVERIFY2(QString::fromStdString(e.what()).startsWith(expected), e.what());
    }
}

void TestLesson::builtInLessonsAreWhole_data()
{
    QTest::addColumn<QString>("path");
    const QDir dir(QStringLiteral(RNNSCOPE_LESSONS));
    const QStringList files = dir.entryList({QStringLiteral("*.lesson")}, QDir::Files, QDir::Name);
    QVERIFY(files.size() >= 5);
    for (const QString &f : files)
        QTest::newRow(qPrintable(f)) << dir.filePath(f);
}

void TestLesson::builtInLessonsAreWhole()
{
    QFETCH(QString, path);
    const Lesson l = readLesson(path.toStdString());
    QVERIFY2(l.steps.size() >= 8 && l.steps.size() <= 15, qPrintable(QString::number(l.steps.size())));
    std::optional<Model> model;
    for (const LessonStep &s : l.steps) {
        if (const std::optional<NetworkRequest> network = lessonNetworkRequest(l, s)) {
            Network net = buildNetwork(*network);
            QVERIFY(s.breakLayer < net.config().layerCount());
            model.emplace(net.layerState(lessonLayer(l, s), 0));
        } else if (!s.model.empty()) {
            model.emplace(buildModel(lessonModelRequest(l, s)));
        }
        QVERIFY2(model, "the first step sets the model");
        int t = -1;
        if (s.step)
            t = *s.step == "end" ? model->dims().T - 1 : std::stoi(*s.step);
        QVERIFY(t < model->dims().T);
        std::vector<std::string> unknown;
        fillLessonValues(*model, std::max(t, 0), 0, s.text, &unknown);
        if (s.question) {
            const std::string answer = fillLessonValues(*model, std::max(t, 0), 0, s.question->answer, &unknown);
            QVERIFY2(answerIsRight(*s.question, answer, answer), (s.title + ": " + answer).c_str());
        }
        QVERIFY2(unknown.empty(), (s.title + ": {" + (unknown.empty() ? "" : unknown[0]) + "}").c_str());
        QVERIFY2(!s.text.empty(), s.title.c_str());
    }
}

QTEST_APPLESS_MAIN(TestLesson)
#include "test_lesson.moc"
