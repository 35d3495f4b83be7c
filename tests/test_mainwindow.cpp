// The main window driven as a teacher would: change each dimension and check every view's shape,
// step with the keyboard and check the charts and the step panel against the engine, edit a
// weight and undo it, same seed ⇒ same view, presentation mode, refused sizes, screenshots.

#include "backgroundjob.h"
#include "diagramwidget.h"
#include "dimensionsbar.h"
#include "io/npy.h"
#include "io/sessionfile.h"
#include "io/weightfile.h"
#include "mainwindow.h"
#include "matrixtablemodel.h"
#include "matrixview.h"
#include "palette.h"
#include "playbackbar.h"
#include "run/summary.h"
#include "session.h"
#include "steppanel.h"
#include "summaryview.h"
#include "timeserieschart.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDropEvent>
#include <QFileInfo>
#include <QImage>
#include <QLineEdit>
#include <QMenu>
#include <QMimeData>
#include <QProcess>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QTest>
#include <QUndoStack>

#include <cmath>
#include <set>

using namespace rnnscope;

namespace {

QString rowText(const Eigen::RowVectorXd &v)
{
    return QString::fromStdString(formatRow(v.data(), v.size(), 4));
}

// Distinct colours in an image: a blank or one-colour render has very few.
int colourCount(const QImage &image)
{
    std::set<QRgb> colours;
    for (int y = 0; y < image.height(); y += 3)
        for (int x = 0; x < image.width(); x += 3)
            colours.insert(image.pixel(x, y));
    return int(colours.size());
}

// F2 on cell (row, col) of the window's Wx table: the editor that opens, or nullptr.
QLineEdit *editWxCell(MainWindow *window, int row, int col)
{
    for (MatrixView *view : window->findChildren<MatrixView *>()) {
        if (view->model()->source() != MatrixTableModel::Source::Wx || !view->tableView())
            continue;
        QTableView *table = view->tableView();
        table->setCurrentIndex(view->model()->index(row, col));
        table->setFocus();
        QTest::keyClick(table, Qt::Key_F2);
        return qobject_cast<QLineEdit *>(QApplication::focusWidget());
    }
    return nullptr;
}

} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void opensOnTheClassicExample();
    void exportsTheModelAsCode();
    void eachDimensionReshapesEveryView_data();
    void eachDimensionReshapesEveryView();
    void returnSequencesFollowsEverywhere();
    void keyboardStepsAndChartsFollowTheEngine();
    void playRunsToTheEnd();
    void dimensionChangeKeepsTheTimestep();
    void editAWeightAndUndo();
    void nanWeightIsShownNotHidden();
    void refusedSizeLeavesTheModel();
    void sameSeedSameView();
    void presentationMode();
    void chosenUnitsArePlotted();
    void screenshotsAreProduced_data();
    void screenshotsAreProduced();
    void screenshotRefusesBadArguments();
    void openSessionRestoresEverything();
    void saveThenReopenIsEqual();
    void dropOpensWeightsSessionsAndInputs();
    void stackedFileOpensWholeOrOneLayerByName();
    void malformedFileLeavesTheModel_data();
    void malformedFileLeavesTheModel();
    void recentFilesFollowOpenAndSave();
    void screenshotOfASessionFile();
    void longComputingRunsOnTheWorker();
    void largeChangesAreBuiltOnTheWorker();
    void chartBucketsFollowStepsAndJumps();
    void largeFilesAreReadOnTheWorker();
    void sampleAndPositionFollowAShrink();
    void switchingCellsReshapesEveryView();
    void gateBlocksAreLabelledInBothLayouts();
    void gateWeightEditRecomputesAndUndoes();
    void gatedStepPanelAndChartsFollowTheEngine();
    void returnInTheDimensionsBarGivesTheKeysBack();
    void sizesAreTakenAsTyped_data();
    void sizesAreTakenAsTyped();
    void committedCellEditGivesTheKeysBack();
    void longDrawsGoToTheWorker();
    void closingWithARefusedEditorOpen();
    void heatMapOfAnyQuantity();
    void stepPanelWrapsInPresentationMode_data();
    void stepPanelWrapsInPresentationMode();

private:
    Session *m_session = nullptr;
    MainWindow *m_window = nullptr;
};

void TestMainWindow::init()
{
    m_session = new Session;
    m_window = new MainWindow(m_session, false);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window));
}

void TestMainWindow::cleanup()
{
    delete m_window;
    delete m_session;
    m_window = nullptr;
    m_session = nullptr;
}

void TestMainWindow::opensOnTheClassicExample()
{
    DimensionsBar *bar = m_window->dimensionsBar();
    QCOMPARE(bar->spinBox('N')->value(), 1);
    QCOMPARE(bar->spinBox('T')->value(), 10);
    QCOMPARE(bar->spinBox('D')->value(), 3);
    QCOMPARE(bar->spinBox('M')->value(), 5);
    QCOMPARE(bar->spinBox('K')->value(), 2);
    QCOMPARE(m_session->position(), -1);
    QCOMPARE(m_window->diagram()->visibleTimesteps().size(), 10); // every timestep fits at 1600 px
    const QStringList titles = {QStringLiteral("(3×5)"), QStringLiteral("(5×5)"), QStringLiteral("(5)"),
                                QStringLiteral("(5×2)"), QStringLiteral("(2)")};
    for (int i = 0; i < 5; ++i)
        QVERIFY2(m_window->weightViews()[i]->title().contains(titles[i]), qPrintable(m_window->weightViews()[i]->title()));
    QTableWidget *summary = m_window->summaryView()->table();
    QCOMPARE(summary->rowCount(), 3);
    QCOMPARE(summary->item(1, 1)->text(), QStringLiteral("(None, 5)"));
    QCOMPARE(summary->item(1, 2)->text(), QStringLiteral("45"));
    QCOMPARE(summary->item(2, 2)->text(), QStringLiteral("12"));
    QVERIFY(m_window->summaryView()->totalsText().contains(QStringLiteral("57 (228.00 B")));
    QVERIFY(m_window->stepPanel()->lines().join(QLatin1Char('\n')).contains(QStringLiteral("h_-1 = 0")));
}

void TestMainWindow::eachDimensionReshapesEveryView_data()
{
    QTest::addColumn<char>("symbol");
    QTest::addColumn<int>("value");
    QTest::newRow("N") << 'N' << 4;
    QTest::newRow("T") << 'T' << 7;
    QTest::newRow("D") << 'D' << 6;
    QTest::newRow("M") << 'M' << 9;
    QTest::newRow("K") << 'K' << 3;
    QTest::newRow("K=0") << 'K' << 0;
}

void TestMainWindow::eachDimensionReshapesEveryView()
{
    QFETCH(char, symbol);
    QFETCH(int, value);
    m_session->seek(1);
    QSpinBox *spin = m_window->dimensionsBar()->spinBox(symbol);
    spin->setValue(value);
    const Dims &d = m_session->dims();
    const int got = symbol == 'N' ? d.N : symbol == 'T' ? d.T : symbol == 'D' ? d.D : symbol == 'M' ? d.M : d.K;
    QCOMPARE(got, value);
    // Weights: Wx (D, M), Wh (M, M), bh (M), Wo (M, K), bo (K).
    const QList<MatrixView *> w = m_window->weightViews();
    QCOMPARE(w[0]->model()->rowCount(), d.D);
    QCOMPARE(w[0]->model()->columnCount(), d.M);
    QCOMPARE(w[1]->model()->rowCount(), d.M);
    QCOMPARE(w[1]->model()->columnCount(), d.M);
    QCOMPARE(w[2]->model()->columnCount(), d.M);
    if (d.K > 0) {
        QCOMPARE(w[3]->model()->rowCount(), d.M);
        QCOMPARE(w[3]->model()->columnCount(), d.K);
        QCOMPARE(w[4]->model()->columnCount(), d.K);
    } else {
        QCOMPARE(w[3]->mode(), MatrixView::Mode::Empty);
    }
    // X[n] (T, D), H (T, M).
    QCOMPARE(m_window->inputView()->model()->rowCount(), d.T);
    QCOMPARE(m_window->inputView()->model()->columnCount(), d.D);
    QCOMPARE(m_window->hiddenMap()->model()->rowCount(), d.T);
    QCOMPARE(m_window->hiddenMap()->model()->columnCount(), d.M);
    // Summary rows and shapes.
    QTableWidget *summary = m_window->summaryView()->table();
    QCOMPARE(summary->rowCount(), d.K > 0 ? 3 : 2);
    QCOMPARE(summary->item(0, 1)->text(), QStringLiteral("(None, %1, %2)").arg(d.T).arg(d.D));
    QCOMPARE(summary->item(1, 2)->text(), QString::number(d.D * d.M + d.M * d.M + d.M));
    // Charts: one series per plotted unit; the diagram and the step panel speak of the new shapes.
    QCOMPARE(m_window->hiddenChart()->units().size(), std::min(d.M, 8));
    QCOMPARE(m_window->outputChart()->units().size(), std::min(d.K, 8));
    QCOMPARE(m_window->playbackBar()->timestepSlider()->maximum(), d.T - 1);
    QCOMPARE(m_window->playbackBar()->sampleBox()->maximum(), d.N - 1);
    QCOMPARE(m_session->position(), 1);
    const QString panel = m_window->stepPanel()->lines().join(QLatin1Char('\n'));
    QVERIFY2(panel.contains(QStringLiteral("(%1×%2)(%2×%3)").arg(d.N).arg(d.D).arg(d.M)), qPrintable(panel));
    QVERIFY2(panel.contains(QStringLiteral("(%1×%2)(%2×%2)").arg(d.N).arg(d.M)), qPrintable(panel));
}

void TestMainWindow::returnSequencesFollowsEverywhere()
{
    m_window->dimensionsBar()->returnSequences()->setChecked(true);
    QVERIFY(m_session->config().returnSequences);
    QCOMPARE(m_window->summaryView()->table()->item(1, 1)->text(), QStringLiteral("(None, 10, 5)"));
    QCOMPARE(m_window->summaryView()->table()->item(2, 1)->text(), QStringLiteral("(None, 10, 2)"));
    m_session->seek(4);
    const QString panel = m_window->stepPanel()->lines().join(QLatin1Char('\n'));
    QVERIFY(panel.contains(QStringLiteral("y_4 = h_4 · Wo + bo")));
    // Undo brings the plain output back.
    m_session->undoStack()->undo();
    QVERIFY(!m_session->config().returnSequences);
    QVERIFY(!m_window->dimensionsBar()->returnSequences()->isChecked());
}

void TestMainWindow::keyboardStepsAndChartsFollowTheEngine()
{
    QWidget *focus = m_window->diagram();
    focus->setFocus();
    for (int i = 0; i < 3; ++i)
        QTest::keyClick(m_window, Qt::Key_Right);
    QCOMPARE(m_session->position(), 2);
    QCOMPARE(m_window->playbackBar()->positionText().trimmed(), QStringLiteral("t = 2 / 9"));
    // The chart holds h_0 … h_2 of each unit, equal to the engine's, and the cursor is at t = 2.
    TimeSeriesChart *chart = m_window->hiddenChart();
    QCOMPARE(chart->cursorX(), 2.0);
    Model &model = const_cast<Model &>(m_session->model());
    for (int j = 0; j < 5; ++j) {
        const QList<QPointF> pts = chart->seriesPoints(j);
        QCOMPARE(pts.size(), 3);
        for (int t = 0; t < 3; ++t) {
            QCOMPARE(pts[t].x(), double(t));
            QCOMPARE(pts[t].y(), model.hidden(t)(0, j));
        }
    }
    QCOMPARE(m_window->outputChart()->seriesPoints(1).size(), 3);
    QCOMPARE(m_window->outputChart()->seriesPoints(1)[2].y(), model.output(2)(0, 1));
    // The step panel shows the worked example of t = 2 with the engine's numbers.
    const StepBreakdown b = stepBreakdown(model, 2, 0);
    const QStringList lines = m_window->stepPanel()->lines();
    QVERIFY(lines[0].startsWith(QStringLiteral("t = 2:")));
    QVERIFY(lines.join(QLatin1Char('\n')).contains(rowText(b.h)));
    QVERIFY(lines.join(QLatin1Char('\n')).contains(rowText(b.pre)));
    QVERIFY(lines.join(QLatin1Char('\n')).contains(rowText(b.hWh)));
    QCOMPARE(b.h, Eigen::RowVectorXd(model.hidden(2).row(0)));
    QTest::keyClick(m_window, Qt::Key_Left);
    QCOMPARE(m_session->position(), 1);
    QCOMPARE(chart->seriesPoints(0).size(), 2);
    QTest::keyClick(m_window, Qt::Key_End);
    QCOMPARE(m_session->position(), 9);
    QTest::keyClick(m_window, Qt::Key_Home);
    QCOMPARE(m_session->position(), -1);
    QCOMPARE(chart->seriesPoints(0).size(), 0);
    // The slider seeks.
    m_window->playbackBar()->timestepSlider()->setValue(6);
    QCOMPARE(m_session->position(), 6);
}

void TestMainWindow::playRunsToTheEnd()
{
    m_window->playbackBar()->setSpeed(30);
    m_window->diagram()->setFocus();
    QTest::keyClick(m_window, Qt::Key_Space);
    QVERIFY(m_window->playbackBar()->isPlaying());
    QTRY_COMPARE_WITH_TIMEOUT(m_session->position(), 9, 5000);
    QTRY_VERIFY(!m_window->playbackBar()->isPlaying());
}

void TestMainWindow::dimensionChangeKeepsTheTimestep()
{
    m_session->seek(5);
    m_window->dimensionsBar()->spinBox('M')->setValue(7);
    QCOMPARE(m_session->position(), 5);
    QCOMPARE(m_window->hiddenChart()->seriesPoints(0).size(), 6);
    m_window->dimensionsBar()->spinBox('T')->setValue(3);
    QCOMPARE(m_session->position(), 2);
    QCOMPARE(m_window->hiddenChart()->cursorX(), 2.0);
}

void TestMainWindow::editAWeightAndUndo()
{
    m_session->seek(9);
    const double before = m_session->model().outputAt(0, 9, 0);
    MatrixTableModel *wx = m_window->weightViews()[0]->model();
    const QModelIndex cell = wx->index(1, 2);
    QVERIFY(wx->setData(cell, QStringLiteral("2.5"), Qt::EditRole));
    QCOMPARE(m_session->weights().Wx(1, 2), 2.5);
    const double after = m_session->model().outputAt(0, 9, 0);
    QVERIFY(after != before);
    // The chart and the step panel recomputed at once.
    QCOMPARE(m_window->outputChart()->seriesPoints(0).last().y(), after);
    m_session->undoStack()->undo();
    QCOMPARE(m_session->model().outputAt(0, 9, 0), before);
    // The window writes the value as the float32 model holds it.
    QCOMPARE(wx->data(cell, Qt::EditRole).toFloat(), static_cast<float>(m_session->weights().Wx(1, 2)));
    m_session->undoStack()->redo();
    QCOMPARE(m_session->weights().Wx(1, 2), 2.5);
    // Editing the input X[n] works the same way.
    MatrixTableModel *x = m_window->inputView()->model();
    QVERIFY(x->setData(x->index(0, 0), QStringLiteral("-1.5"), Qt::EditRole));
    QCOMPARE(m_session->model().inputValue(0, 0, 0), -1.5);
}

void TestMainWindow::nanWeightIsShownNotHidden()
{
    MatrixTableModel *wh = m_window->weightViews()[1]->model();
    QVERIFY(wh->setData(wh->index(0, 0), QStringLiteral("nan"), Qt::EditRole));
    QCOMPARE(wh->data(wh->index(0, 0), Qt::DisplayRole).toString(), QStringLiteral("NaN"));
    m_session->seek(3);
    QVERIFY(std::isnan(m_session->model().hiddenAt(0, 3, 0)));
    QVERIFY(m_window->hiddenChart()->markerCount() > 0);
    QVERIFY(m_window->stepPanel()->lines().join(QLatin1Char('\n')).contains(QStringLiteral("nan")));
}

void TestMainWindow::refusedSizeLeavesTheModel()
{
    QSignalSpy errors(m_session, &Session::errorOccurred);
    const Dims before = m_session->dims();
    const Weights w = m_session->weights();
    m_window->dimensionsBar()->spinBox('T')->setValue(DimLimits::maxT);
    m_window->dimensionsBar()->spinBox('M')->setValue(DimLimits::maxM); // T·M far over the budget
    QVERIFY(errors.count() >= 1);
    QVERIFY2(errors.last().at(0).toString().contains(QStringLiteral("budget")), qPrintable(errors.last().at(0).toString()));
    QVERIFY(m_window->statusText().contains(QStringLiteral("budget")));
    QCOMPARE(m_session->dims().M, before.M);
    QCOMPARE(m_window->dimensionsBar()->spinBox('M')->value(), before.M); // the spin box went back
    QCOMPARE(m_session->weights().Wh, w.Wh);
}

void TestMainWindow::sameSeedSameView()
{
    m_window->dimensionsBar()->seed()->setValue(7);
    m_session->seek(4);
    Session other;
    MainWindow second(&other, false);
    second.show();
    QVERIFY(QTest::qWaitForWindowExposed(&second));
    second.dimensionsBar()->seed()->setValue(7);
    other.seek(4);
    QCOMPARE(other.weights().Wx, m_session->weights().Wx);
    QCOMPARE(other.model().input(), m_session->model().input());
    QCOMPARE(second.stepPanel()->lines(), m_window->stepPanel()->lines());
    QCOMPARE(second.hiddenChart()->seriesPoints(3), m_window->hiddenChart()->seriesPoints(3));
    QCOMPARE(second.weightViews()[1]->grab().toImage(), m_window->weightViews()[1]->grab().toImage());
    // And another seed draws other numbers.
    second.dimensionsBar()->seed()->setValue(8);
    QVERIFY(other.weights().Wx != m_session->weights().Wx);
}

void TestMainWindow::presentationMode()
{
    const qreal normal = m_window->font().pointSizeF();
    m_window->setPresentation(true);
    QVERIFY(m_window->presentation());
    QVERIFY(m_window->font().pointSizeF() >= 1.4 * normal);
    QCOMPARE(ViewPalette::current().lineWidth, 2.0);
    QVERIFY(m_window->stepPanel()->font().pointSizeF() >= 1.4 * normal);
    m_window->zoom(2);
    QVERIFY(m_window->font().pointSizeF() > 1.5 * normal);
    m_window->zoom(0);
    m_window->setPresentation(false);
    QCOMPARE(m_window->font().pointSizeF(), normal);
    QCOMPARE(ViewPalette::current().lineWidth, 1.0);
}

void TestMainWindow::chosenUnitsArePlotted()
{
    m_window->dimensionsBar()->spinBox('M')->setValue(40);
    QCOMPARE(m_window->hiddenChart()->units().size(), 8);
    QString error;
    QCOMPARE(TimeSeriesChart::parseUnits(QStringLiteral("0-3, 10, 39"), 40, &error), (QList<int>{0, 1, 2, 3, 10, 39}));
    QVERIFY(TimeSeriesChart::parseUnits(QStringLiteral("0-40"), 40, &error).isEmpty());
    QVERIFY(error.contains(QStringLiteral("0-40")));
    QCOMPARE(TimeSeriesChart::parseUnits(QStringLiteral("0-99"), 200, &error).size(), TimeSeriesChart::kMaxSeries);
    m_window->hiddenChart()->setUnits({5, 39});
    m_session->seek(2);
    QCOMPARE(m_window->hiddenChart()->seriesPoints(1).last().y(), m_session->model().hiddenAt(0, 2, 39));
    QCOMPARE(TimeSeriesChart::unitsText({0, 1, 2, 3, 10, 39}), QStringLiteral("0-3, 10, 39"));
}

void TestMainWindow::screenshotsAreProduced_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QSize>("size");
    QTest::newRow("classic") << QStringList{QStringLiteral("--step"), QStringLiteral("3")} << QSize(1600, 900);
    QTest::newRow("return sequences") << QStringList{QStringLiteral("--dims"), QStringLiteral("4,50,8,32,3"),
                                                     QStringLiteral("--return-sequences")}
                                      << QSize(1600, 900);
    QTest::newRow("small window, presentation")
        << QStringList{QStringLiteral("--size"), QStringLiteral("1024x700"), QStringLiteral("--presentation")}
        << QSize(1024, 700);
    QTest::newRow("the whole window at 2x") << QStringList{QStringLiteral("--size"), QStringLiteral("800x600"), QStringLiteral("--scale"), QStringLiteral("2")}
                                           << QSize(1600, 1200);
    // One view (its size is the layout's: size (0, 0) means "not checked, but not the window's").
    QTest::newRow("the diagram at 3x") << QStringList{QStringLiteral("--view"), QStringLiteral("diagram"), QStringLiteral("--scale"), QStringLiteral("3")}
                                       << QSize();
    QTest::newRow("a chart in a back tab") << QStringList{QStringLiteral("--view"), QStringLiteral("gate-chart"), QStringLiteral("--cell"), QStringLiteral("lstm")}
                                           << QSize();
}

void TestMainWindow::screenshotsAreProduced()
{
    QFETCH(QStringList, args);
    QFETCH(QSize, size);
    QTemporaryDir dir;
    const QString out = dir.filePath(QStringLiteral("shot.png"));
    QProcess p;
    p.start(QStringLiteral(RNNSCOPE_BINARY), QStringList{QStringLiteral("screenshot"), out} + args);
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 0);
    QImage image(out);
    QVERIFY(!image.isNull());
    if (size.isValid())
        QCOMPARE(image.size(), size);
    else
        QVERIFY(image.width() < 1600 * 3 && image.height() < 900 && image.width() > 200);
    QVERIFY2(colourCount(image) > 50, qPrintable(QString::number(colourCount(image))));
}

// File ▸ Export as code: the script rebuilds the model on screen, an edit included, and NumPy
// running it gives the window's Y; a cell with no PyTorch form is refused, saying why, no file left.
void TestMainWindow::exportsTheModelAsCode()
{
    CellSpec lstm;
    lstm.kind = CellKind::LSTM;
    QVERIFY(m_session->setCell(lstm));
    QVERIFY(m_session->setWeightValue(WeightId::Wh, 1, 7, 0.75));
    QTemporaryDir dir;
    const QString script = dir.filePath(QStringLiteral("lstm.py"));
    QString data = QStringLiteral("unset");
    QVERIFY(m_session->exportCode(script, CodeTarget::NumPy, &data));
    QVERIFY(data.isEmpty()); // the classic sizes: every number inline
    QFile f(script);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(f.readAll().contains("0.75"));
    QProcess p;
    const QString y = dir.filePath(QStringLiteral("Y.npy"));
    p.start(QStringLiteral("/usr/bin/python3"), {script, y});
    QVERIFY(p.waitForFinished(120000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    const NdArray got = readNpy(y.toStdString());
    Model copy = m_session->model(); // (prediction() computes what is missing)
    const NdArray want = copy.prediction();
    QCOMPARE(got.shape, want.shape);
    for (std::size_t i = 0; i < want.values.size(); ++i)
        QVERIFY2(std::abs(got.values[i] - want.values[i]) < 1e-5, qPrintable(QString::number(i)));

    CellSpec gru;
    gru.kind = CellKind::GRU;
    gru.resetAfter = false;
    QVERIFY(m_session->setCell(gru));
    QSignalSpy errors(m_session, &Session::errorOccurred);
    const QString torch = dir.filePath(QStringLiteral("gru.py"));
    QVERIFY(!m_session->exportCode(torch, CodeTarget::PyTorch));
    QCOMPARE(errors.count(), 1);
    QVERIFY2(errors.first().first().toString().contains(QStringLiteral("reset_after")), qPrintable(errors.first().first().toString()));
    QVERIFY(!QFileInfo::exists(torch));

    // Saving weights under PyTorch's names asks the same of the cell: an LSTM of relu has no
    // nn.LSTM form (its activation is tanh), whatever the shapes say.
    CellSpec relu;
    relu.kind = CellKind::LSTM;
    relu.activation = Activation::Relu;
    QVERIFY(m_session->setCell(relu));
    const QString weights = dir.filePath(QStringLiteral("w.npz"));
    QVERIFY(!m_session->saveWeights(weights, Layout::PyTorch));
    QVERIFY2(errors.last().first().toString().contains(QStringLiteral("relu")), qPrintable(errors.last().first().toString()));
    QVERIFY(!QFileInfo::exists(weights));
    QVERIFY(m_session->saveWeights(weights, Layout::Keras));
}

void TestMainWindow::screenshotRefusesBadArguments()
{
    QTemporaryDir dir;
    const auto run = [&](const QStringList &args) {
        QProcess p;
        p.start(QStringLiteral(RNNSCOPE_BINARY), args);
        p.waitForFinished(60000);
        return std::make_pair(p.exitCode(), QString::fromLocal8Bit(p.readAllStandardError()));
    };
    const QString out = dir.filePath(QStringLiteral("x.png"));
    auto [code, err] = run({QStringLiteral("screenshot"), out, QStringLiteral("--step"), QStringLiteral("10")});
    QCOMPARE(code, 2);
    QVERIFY2(err.contains(QStringLiteral("--step 10")), qPrintable(err));
    std::tie(code, err) = run({QStringLiteral("screenshot"), out, QStringLiteral("--size"), QStringLiteral("big")});
    QCOMPARE(code, 2);
    QVERIFY(err.contains(QStringLiteral("'big'")));
    std::tie(code, err) = run({QStringLiteral("screenshot"), dir.filePath(QStringLiteral("no/such/dir/x.png"))});
    QCOMPARE(code, 2);
    QVERIFY(err.contains(QStringLiteral("no/such/dir")));
    std::tie(code, err) = run({QStringLiteral("screenshot"), out, QStringLiteral("--view"), QStringLiteral("teapot")});
    QCOMPARE(code, 2);
    QVERIFY2(err.contains(QStringLiteral("'teapot'")) && err.contains(QStringLiteral("step-panel")), qPrintable(err));
    std::tie(code, err) = run({QStringLiteral("screenshot"), out, QStringLiteral("--scale"), QStringLiteral("4")});
    QCOMPARE(code, 2);
    QVERIFY2(err.contains(QStringLiteral("'4'")), qPrintable(err));
    std::tie(code, err) = run({QStringLiteral("screenshot"), dir.filePath(QStringLiteral("w.svg"))});
    QCOMPARE(code, 2);
    QVERIFY2(err.contains(QStringLiteral("--view")), qPrintable(err));
    std::tie(code, err) = run({QStringLiteral("screenshot"), dir.filePath(QStringLiteral("d.svg")), QStringLiteral("--view"), QStringLiteral("diagram")});
    QCOMPARE(code, 0);
    QFile svg(dir.filePath(QStringLiteral("d.svg")));
    QVERIFY(svg.open(QIODevice::ReadOnly));
    QVERIFY(svg.readAll().contains("(1, 3)")); // the shapes stay text
    std::tie(code, err) = run({QStringLiteral("screenshot")});
    QCOMPARE(code, 2);
    QVERIFY(!QFile::exists(out));
}

namespace {

const QString kShared = QStringLiteral(RNNSCOPE_SHARED_DIR);

// A session unlike the classic example in every field, with NaN, ±Inf and −0.0 among its numbers.
SessionData unusualSession()
{
    ModelConfig config;
    config.dims = Dims{3, 6, 4, 7, 2};
    config.dtype = DType::Float64;
    config.returnSequences = true;
    config.seed = 11;
    config.cell = Activation::Relu;
    config.dense = Activation::Sigmoid;
    config.init = InitSpec{InitScheme::Normal, 0.4};
    Model model(config);
    model.randomizeWeights();
    SessionData data;
    data.model = model.state();
    data.model.weights.Wh(2, 3) = -0.0;
    data.model.weights.bo(1) = std::numeric_limits<double>::infinity();
    data.model.X(1, 3) = std::numeric_limits<double>::quiet_NaN(); // x_1 of sample 0
    data.timestep = 4;
    data.sample = 2;
    data.view.layout = Layout::PyTorch;
    data.view.units = {6, 1, 3};
    data.view.presentation = true;
    return data;
}

// What a window shows, as the text of a session file (equal text: equal to the bit).
std::string onScreen(const MainWindow &window)
{
    return encodeSession(window.session()->sessionData(window.sessionView()));
}

// Drops `files` on `window` (the centre of `window`, or of its child `target`) as a file manager
// does; returns whether the drag was accepted.
bool drop(QWidget *window, const QStringList &files, QWidget *target = nullptr)
{
    if (target)
        window = target;
    QMimeData mime;
    QList<QUrl> urls;
    for (const QString &f : files)
        urls << QUrl::fromLocalFile(f);
    mime.setUrls(urls);
    const QPoint at = window->rect().center();
    QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(window, &enter);
    if (!enter.isAccepted())
        return false;
    QDropEvent dropped(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(window, &dropped);
    return dropped.isAccepted();
}

QAction *fileAction(const MainWindow *window, const QKeySequence &shortcut)
{
    for (QAction *a : window->findChildren<QAction *>())
        if (a->shortcut() == shortcut)
            return a;
    return nullptr;
}

} // namespace

void TestMainWindow::openSessionRestoresEverything()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("lesson.json"));
    const SessionData data = unusualSession();
    saveSession(path.toStdString(), data);
    QVERIFY(m_window->openFile(path));

    // The model: sizes in every view, the configuration, every number.
    const Dims &d = m_session->dims();
    QCOMPARE(d, data.model.config.dims);
    QCOMPARE(m_window->dimensionsBar()->spinBox('N')->value(), 3);
    QCOMPARE(m_window->dimensionsBar()->spinBox('M')->value(), 7);
    QVERIFY(m_window->dimensionsBar()->returnSequences()->isChecked());
    QCOMPARE(m_window->dimensionsBar()->seed()->value(), 11);
    QCOMPARE(m_session->config().dtype, DType::Float64);
    QCOMPARE(m_session->config().cell, Activation::Relu);
    QCOMPARE(m_session->config().dense, Activation::Sigmoid);
    QCOMPARE(m_session->config().init.scheme, InitScheme::Normal);
    QCOMPARE(m_session->config().init.scale, 0.4);
    QCOMPARE(m_session->weights().Wx, data.model.weights.Wx);
    QVERIFY(std::signbit(m_session->weights().Wh(2, 3)));
    QCOMPARE(m_session->weights().bo(1), std::numeric_limits<double>::infinity());
    QVERIFY(std::isnan(m_session->model().input()(1, 3)));
    QCOMPARE(m_window->weightViews()[1]->model()->rowCount(), 7);
    QCOMPARE(m_window->inputView()->model()->rowCount(), 6);
    // The timestep, the sample, the view.
    QCOMPARE(m_session->position(), 4);
    QCOMPARE(m_window->playbackBar()->timestepSlider()->value(), 4);
    QCOMPARE(m_session->sample(), 2);
    QCOMPARE(m_window->playbackBar()->sampleBox()->value(), 2);
    QCOMPARE(m_session->layout(), Layout::PyTorch);
    QVERIFY2(m_window->weightViews()[0]->title().contains(QStringLiteral("weight_ih_l0")),
             qPrintable(m_window->weightViews()[0]->title()));
    QCOMPARE(m_window->hiddenChart()->units(), (QList<int>{6, 1, 3}));
    QCOMPARE(m_window->preChart()->units(), (QList<int>{6, 1, 3}));
    QCOMPARE(m_window->hiddenChart()->seriesPoints(0).last().y(), m_session->model().hiddenAt(2, 4, 6));
    QVERIFY(m_window->presentation());
    // Exactly what the file holds is on screen.
    SessionData expected = data;
    QCOMPARE(onScreen(*m_window), encodeSession(expected));
    // The title names the file; nothing is modified yet. Undo brings the classic model back.
    QVERIFY(m_window->windowTitle().startsWith(QStringLiteral("lesson.json")));
    QVERIFY(!m_window->isWindowModified());
    m_session->undoStack()->undo();
    QCOMPARE(m_session->dims(), Dims{});
    QVERIFY(m_window->isWindowModified());
    m_window->setPresentation(false);
}

void TestMainWindow::saveThenReopenIsEqual()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("saved.json"));
    QVERIFY(m_window->windowTitle().startsWith(QStringLiteral("Untitled")));
    // A state a teacher reaches by hand.
    m_window->dimensionsBar()->spinBox('N')->setValue(2);
    m_window->dimensionsBar()->dtype()->setCurrentIndex(1);
    QVERIFY(m_session->setWeightValue(WeightId::Wh, 1, 1, std::numeric_limits<double>::quiet_NaN()));
    QVERIFY(m_session->setWeightValue(WeightId::bh, 0, 0, -0.0));
    QVERIFY(m_session->setInputValue(1, 3, 2, 1e-310));
    m_session->setSample(1);
    m_session->seek(6);
    m_session->setLayout(Layout::PyTorch);
    m_window->hiddenChart()->setUnits({4, 2});
    QVERIFY(m_window->isWindowModified());
    QVERIFY(m_window->saveSession(path));
    QVERIFY(!m_window->isWindowModified());
    QVERIFY(m_window->windowTitle().startsWith(QStringLiteral("saved.json")));
    QCOMPARE(m_window->sessionView().units, (std::vector<int>{4, 2}));

    Session other;
    MainWindow second(&other, false);
    second.show();
    QVERIFY(QTest::qWaitForWindowExposed(&second));
    QVERIFY(second.openFile(path));
    QCOMPARE(onScreen(second), onScreen(*m_window));
    QCOMPARE(second.stepPanel()->lines(), m_window->stepPanel()->lines());
    QCOMPARE(second.hiddenChart()->seriesPoints(1), m_window->hiddenChart()->seriesPoints(1));

    // Save (Ctrl+S) writes back to the session file, without asking where.
    QVERIFY(m_session->setWeightValue(WeightId::Wx, 0, 0, 0.25));
    QVERIFY(m_window->isWindowModified());
    QAction *save = fileAction(m_window, QKeySequence::Save);
    QVERIFY(save);
    save->trigger();
    QVERIFY(!m_window->isWindowModified());
    QCOMPARE(loadSession(path.toStdString()).model.weights.Wx(0, 0), 0.25);
    QVERIFY(fileAction(m_window, QKeySequence::SaveAs));
}

void TestMainWindow::dropOpensWeightsSessionsAndInputs()
{
    const QString npz = kShared + QStringLiteral("/fixtures/numpy/weights_named.npz");
    QVERIFY(drop(m_window, {npz}));
    const LoadedModel expected = loadWeightsFile(npz.toStdString());
    QCOMPARE(m_session->weights().Wh, expected.weights.Wh);
    QCOMPARE(m_session->weights().bo, expected.weights.bo);
    QVERIFY(m_window->windowTitle().startsWith(QStringLiteral("weights_named.npz")));

    const QString keras = kShared + QStringLiteral("/fixtures/keras/keras3_tesla_simple_rnn.keras");
    QVERIFY(drop(m_window, {keras}));
    QCOMPARE(m_session->dims().D, 1);
    QCOMPARE(m_session->dims().M, 50);
    QCOMPARE(m_session->dims().T, 60);
    QCOMPARE(m_session->weights().Wh, loadWeightsFile(keras.toStdString()).weights.Wh);
    QCOMPARE(m_window->weightViews()[1]->model()->rowCount(), 50);

    // Weights and an input together: the weights first, whatever the order they come in.
    const QString x = kShared + QStringLiteral("/fixtures/numpy/X.npy");
    QVERIFY(drop(m_window, {x, npz}));
    QCOMPARE(m_session->dims(), (Dims{2, 4, 3, 5, 2}));
    // Anywhere on the window: over a chart, over a table.
    QVERIFY(drop(m_window, {keras}, m_window->hiddenChart()));
    QCOMPARE(m_session->dims().M, 50);
    QVERIFY(drop(m_window, {x, npz}, m_window->inputView()));
    QCOMPARE(m_session->dims().M, 5);
    QCOMPARE(m_session->model().inputArray().values, loadInputFile(x.toStdString(), 3).values);

    // A session.
    QTemporaryDir dir;
    const QString session = dir.filePath(QStringLiteral("dropped.json"));
    saveSession(session.toStdString(), unusualSession());
    QVERIFY(drop(m_window, {session}));
    QCOMPARE(onScreen(*m_window), encodeSession(unusualSession()));
    m_window->setPresentation(false);

    // Text without files is not taken.
    QMimeData text;
    text.setText(QStringLiteral("hello"));
    QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &text, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(m_window, &enter);
    QVERIFY(!enter.isAccepted());
}

void TestMainWindow::stackedFileOpensWholeOrOneLayerByName()
{
    // A stacked file opens whole (the network's layers are picked in the diagram); with a layer
    // named, that layer opens alone, as --layer NAME does. Nothing asks which.
    const QString stacked = kShared + QStringLiteral("/fixtures/keras/keras3_temperature_stacked_simple_rnn.keras");
    m_session->setLayerChooser([](const QString &, const QStringList &) -> QString { qFatal("asked"); });
    QVERIFY(m_window->openFile(stacked));
    QVERIFY(m_session->isNetwork());
    QCOMPARE(m_session->networkConfig().layerCount(), 2);
    QSignalSpy refusals(m_session, &Session::errorOccurred);
    QVERIFY2(m_session->openWeights(stacked, QStringLiteral("simple_rnn_1")),
             qPrintable(refusals.isEmpty() ? QString() : refusals.first().first().toString()));
    QVERIFY(!m_session->isNetwork());
    QCOMPARE(m_session->dims().D, 64);
    QCOMPARE(m_session->dims().M, 32);
    QCOMPARE(m_session->dims().K, 1);
    // A file with one SimpleRNN opens its model.
    QVERIFY(m_window->openFile(kShared + QStringLiteral("/fixtures/keras/keras3_tesla_simple_rnn.keras")));
    QVERIFY(!m_session->isNetwork());
    m_session->setLayerChooser({});
}

void TestMainWindow::malformedFileLeavesTheModel_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("mentions");
    QTest::addColumn<bool>("dropped");
    const QByteArray valid = QByteArray::fromStdString(encodeSession(unusualSession()));
    QTest::newRow("newer session") << QStringLiteral("new.json") << QByteArray(R"({"format": "rnnscope-session", "version": 99})")
                                   << QStringLiteral("version 99 is newer") << false;
    QTest::newRow("truncated session") << QStringLiteral("cut.json") << valid.left(valid.size() / 3) << QStringLiteral("ends early") << true;
    QTest::newRow("session with a wrong shape")
        << QStringLiteral("shape.json") << QByteArray(valid).replace("\"M\": 7", "\"M\": 8") << QStringLiteral("weights.Wx has shape (4, 7), but D=4, M=8 needs (4, 8)")
        << true;
    QTest::newRow("not a zip") << QStringLiteral("w.npz") << QByteArray("this is not a zip archive") << QStringLiteral("w.npz") << true;
    QTest::newRow("input of another D") << QStringLiteral("x.csv") << QByteArray("1,2,3,4\n5,6,7,8\n") << QStringLiteral("D=3") << true;
    QTest::newRow("session as weights name") << QStringLiteral("w.h5") << valid << QStringLiteral("w.h5") << false;
}

void TestMainWindow::malformedFileLeavesTheModel()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, bytes);
    QFETCH(QString, mentions);
    QFETCH(bool, dropped);
    QTemporaryDir dir;
    const QString path = dir.filePath(name);
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
    f.close();
    m_session->seek(3);
    const std::string before = onScreen(*m_window);
    const QString title = m_window->windowTitle();
    const int commands = m_session->undoStack()->count();
    QSignalSpy errors(m_session, &Session::errorOccurred);
    QVERIFY(dropped ? drop(m_window, {path}) : !m_window->openFile(path));
    QCOMPARE(errors.count(), 1);
    const QString message = errors.first().first().toString();
    QVERIFY2(message.contains(mentions), qPrintable(message));
    QVERIFY2(!message.contains(QLatin1Char('\n')), qPrintable(message));
    QVERIFY2(m_window->statusText().contains(message), qPrintable(m_window->statusText()));
    QCOMPARE(onScreen(*m_window), before);
    QCOMPARE(m_window->windowTitle(), title);
    QCOMPARE(m_session->undoStack()->count(), commands);
    QVERIFY(m_window->recentFiles().isEmpty());
}

void TestMainWindow::recentFilesFollowOpenAndSave()
{
    QTemporaryDir dir;
    QVERIFY(m_window->recentFiles().isEmpty());
    QVERIFY(!m_window->recentFilesMenu()->isEnabled());
    const QString a = dir.filePath(QStringLiteral("a.json")), b = dir.filePath(QStringLiteral("b.json"));
    QVERIFY(m_window->saveSession(a));
    const QString npz = kShared + QStringLiteral("/fixtures/numpy/weights_named.npz");
    QVERIFY(m_window->openFile(npz));
    QVERIFY(m_window->saveSession(b));
    const QStringList expected = {QFileInfo(b).absoluteFilePath(), QFileInfo(npz).absoluteFilePath(), QFileInfo(a).absoluteFilePath()};
    QCOMPARE(m_window->recentFiles(), expected);
    QVERIFY(m_window->recentFilesMenu()->isEnabled());
    const QList<QAction *> actions = m_window->recentFilesMenu()->actions();
    QVERIFY(actions.size() >= 5); // three files, a separator, Clear
    QVERIFY2(actions[0]->text().contains(QStringLiteral("b.json")), qPrintable(actions[0]->text()));
    QVERIFY(actions[1]->text().contains(QStringLiteral("weights_named.npz")));
    // Opening a recent file moves it to the top.
    actions[2]->trigger();
    QCOMPARE(m_session->filePath(), a);
    QCOMPARE(m_window->recentFiles().first(), QFileInfo(a).absoluteFilePath());
    QVERIFY(m_window->recentFilesMenu()->actions()[0]->text().contains(QStringLiteral("a.json")));
    // A recent file that is gone is refused and leaves the list.
    QVERIFY(QFile::remove(b));
    QVERIFY(!m_window->openFile(b));
    QCOMPARE(m_window->recentFiles().size(), 2);
    // At most kMaxRecentFiles; Clear empties the list.
    for (int i = 0; i < MainWindow::kMaxRecentFiles + 3; ++i)
        m_window->addRecentFile(dir.filePath(QStringLiteral("f%1.json").arg(i)));
    QCOMPARE(m_window->recentFiles().size(), MainWindow::kMaxRecentFiles);
    QAction *clear = m_window->recentFilesMenu()->actions().last();
    QVERIFY(clear->text().contains(QStringLiteral("Clear")));
    clear->trigger();
    QVERIFY(m_window->recentFiles().isEmpty());
    QVERIFY(!m_window->recentFilesMenu()->isEnabled());
}

void TestMainWindow::screenshotOfASessionFile()
{
    QTemporaryDir dir;
    const QString session = dir.filePath(QStringLiteral("lesson.json"));
    saveSession(session.toStdString(), unusualSession());
    const QString out = dir.filePath(QStringLiteral("shot.png"));
    QProcess p;
    p.start(QStringLiteral(RNNSCOPE_BINARY), {QStringLiteral("screenshot"), out, session});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 0);
    const QImage image(out);
    QCOMPARE(image.size(), QSize(1600, 900));
    QVERIFY(colourCount(image) > 50);
    // A malformed session is refused before any window, with one line.
    const QString bad = dir.filePath(QStringLiteral("bad.json"));
    QFile f(bad);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"format": "rnnscope-session", "version": 1, "dims": {"N": 1}})");
    f.close();
    p.start(QStringLiteral(RNNSCOPE_BINARY), {QStringLiteral("screenshot"), dir.filePath(QStringLiteral("x.png")), bad});
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 2);
    const QString err = QString::fromLocal8Bit(p.readAllStandardError()).trimmed();
    QVERIFY2(err.contains(QStringLiteral("bad.json")) && err.contains(QStringLiteral("dims")), qPrintable(err));
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("x.png"))));
}

void TestMainWindow::longComputingRunsOnTheWorker()
{
    // 300,000 steps of M = 64: over a billion multiply–adds, far more than a UI step may take.
    const Dims dims{1, 300000, 8, 64, 4};
    const int last = dims.T - 1;
    QVERIFY(m_session->setDims(dims));
    m_session->seek(last);
    QVERIFY(m_session->busy()); // seek returned at once; the worker computes
    QCOMPARE(m_session->position(), -1);
    QVERIFY(m_session->job()->what().contains(QLatin1String("299999")));
    // The window stays live: the event loop runs, the progress shows, Esc stops.
    QTRY_VERIFY(m_window->progressWidget()->isVisible());
    QVERIFY(m_session->busy());
    QTest::keyClick(m_window, Qt::Key_Escape);
    QTRY_VERIFY(!m_session->busy());
    QVERIFY(!m_window->progressWidget()->isVisible());
    const int reached = m_session->position();
    QVERIFY2(reached >= 0 && reached < last, qPrintable(QString::number(reached))); // the furthest computed step
    QCOMPARE(m_session->model().computedSteps(), reached + 1);

    // The numbers are the batched pass's.
    Model reference(m_session->config());
    reference.computeAll();
    const auto agrees = [&](int t) {
        for (int j = 0; j < dims.M; ++j)
            if (std::abs(m_session->hiddenValue(0, t, j) - reference.hiddenAt(0, t, j)) > 1e-5)
                return false;
        return true;
    };
    QVERIFY(agrees(reached));

    // End again goes on from there; the result is on show when the work ends.
    m_session->seek(last);
    QVERIFY(m_session->busy());
    m_session->finishWork();
    QCOMPARE(m_session->position(), last);
    QVERIFY(agrees(last));
    QCOMPARE(m_window->playbackBar()->timestepSlider()->value(), last);

    // A change far into the sequence: the views start from −1 while the worker recomputes, and the
    // position comes back.
    QVERIFY(m_session->setWeightValue(WeightId::Wh, 0, 0, 0.5));
    QVERIFY(m_session->busy());
    QCOMPARE(m_session->position(), -1);
    // Another command meanwhile cancels the work and takes over: undo is applied at once.
    m_session->undoStack()->undo();
    QCOMPARE(m_session->weights().Wh(0, 0), reference.weights().Wh(0, 0));
    m_session->finishWork();
    QCOMPARE(m_session->position(), last);
    QVERIFY(agrees(last));
}

void TestMainWindow::largeChangesAreBuiltOnTheWorker()
{
    // X alone is 16 million numbers: the change is built on the worker while the window goes on.
    const Dims big{2, 1000000, 8, 8, 0};
    bool sawChanging = false;
    QMetaObject::Connection c = connect(m_session->job(), &BackgroundJob::started, this, [&] {
        QTimer::singleShot(0, this, [&] { sawChanging = m_session->changing(); });
    });
    QVERIFY(m_session->setDims(big));
    QVERIFY(sawChanging); // the event loop ran during the change, and knew it
    QVERIFY(!m_session->changing());
    QCOMPARE(m_session->dims(), big);
    QCOMPARE(m_window->dimensionsBar()->spinBox('T')->value(), big.T);
    // The same numbers as a model drawn directly (past the old X, which the change keeps).
    ModelConfig config = m_session->config();
    QVERIFY(Model(config).input().rightCols(1000) == m_session->model().input().rightCols(1000));

    // Undo comes back through the worker too.
    m_session->undoStack()->undo();
    QCOMPARE(m_session->dims(), Dims{});
    m_session->undoStack()->redo();
    QCOMPARE(m_session->dims(), big);

    // Cancelled: the model stays as it was, and says so.
    QSignalSpy notices(m_session, &Session::notice);
    bool editRefused = false;
    const int commands = m_session->undoStack()->count();
    disconnect(c);
    c = connect(m_session->job(), &BackgroundJob::started, this, [&] {
        QTimer::singleShot(0, this, [&] {
            m_session->stepForward(); // a command meanwhile is refused, not run half-way
            editRefused = !m_session->setWeightValue(WeightId::Wh, 0, 0, 9.0);
            m_session->cancelWork();
        });
    });
    QVERIFY(!m_session->setDims(Dims{2, 1000000, 9, 8, 0}));
    disconnect(c);
    QCOMPARE(m_session->dims(), big);
    QCOMPARE(m_session->position(), -1);
    QVERIFY(notices.count() >= 1);
    QVERIFY2(notices.last().at(0).toString().contains(QLatin1String("cancelled")), qPrintable(notices.last().at(0).toString()));
    QCOMPARE(m_session->undoStack()->undoText(), tr("Change dimensions to 2,1000000,8,8,0"));
    QVERIFY(editRefused); // an edit meanwhile would have landed in neither model
    QCOMPARE(m_session->undoStack()->count(), commands);
    QVERIFY(m_session->weights().Wh(0, 0) != 9.0);
}

void TestMainWindow::chartBucketsFollowStepsAndJumps()
{
    // T = 50,000: buckets of many timesteps, kept between steps and read in slices after a jump.
    // Whatever the way to a timestep, the lines equal those read afresh.
    QVERIFY(m_session->setDims(Dims{1, 50000, 3, 6, 2}));
    TimeSeriesChart *chart = m_window->hiddenChart();
    chart->setSliceBudget(0); // every bucket in a slice of its own
    const auto fresh = [&] {
        chart->setUnits(chart->units());
        QTRY_VERIFY(!chart->catchingUp());
    };
    int before = -1;
    for (int t : {10, 24999, 25000, 25001, 12000, 49999, 30000, -1, 49999}) {
        m_session->seek(t);
        m_session->finishWork();
        if (t - before > 20000)
            QVERIFY(chart->catchingUp()); // a long jump: the lines grow in slices
        before = t;
        QTRY_VERIFY(!chart->catchingUp());
        const QList<QPointF> kept = chart->seriesPoints(2);
        QVERIFY(t < 0 ? kept.isEmpty() : !kept.isEmpty() && kept.last().x() <= t);
        fresh();
        QCOMPARE(chart->seriesPoints(2), kept);
    }
    m_session->seek(30000);
    m_session->finishWork();
    QVERIFY(m_session->setWeightValue(WeightId::Wh, 2, 2, std::numeric_limits<double>::quiet_NaN()));
    m_session->finishWork();
    QTRY_VERIFY(!chart->catchingUp());
    const QList<QPointF> kept = chart->seriesPoints(2);
    const int markers = chart->markerCount();
    QVERIFY(markers > 0); // NaN from t = 0 on, one marker per bucket
    fresh();
    QCOMPARE(chart->seriesPoints(2), kept);
    QCOMPARE(chart->markerCount(), markers);
}

void TestMainWindow::largeFilesAreReadOnTheWorker()
{
    // A session of 1.5 million numbers, over 16 MiB of JSON: read while the window goes on.
    QTemporaryDir dir;
    QVERIFY(m_session->setDims(Dims{1, 500000, 3, 4, 2}));
    const QString path = dir.filePath(QStringLiteral("long.json"));
    QVERIFY(m_session->saveSession(path, SessionView{}));
    QVERIFY(QFileInfo(path).size() > (qint64(16) << 20));
    const std::string saved = encodeSession(m_session->sessionData(SessionView{}));
    QVERIFY(m_session->setDims(Dims{}));
    int changingSeen = 0;
    connect(m_session->job(), &BackgroundJob::started, this, [&] {
        QTimer::singleShot(0, this, [&] { changingSeen += m_session->changing(); });
    });
    QVERIFY(m_window->openFile(path));
    QVERIFY(changingSeen >= 1); // the file was read on the worker (and the model built there)
    QCOMPARE(encodeSession(m_session->sessionData(SessionView{})), saved);
}

void TestMainWindow::sampleAndPositionFollowAShrink()
{
    // Sample 6 at t = 900 of N=8, T=1000, then back to N=4, T=100: every view that hears of the
    // new sample already sees the new shapes and position (nothing reads past the new buffers).
    QVERIFY(m_session->setDims(Dims{8, 1000, 3, 5, 2}));
    m_session->setSample(6);
    m_session->seek(900);
    m_session->finishWork();
    QCOMPARE(m_session->position(), 900);
    QSignalSpy samples(m_session, &Session::sampleChanged);
    int positionWhenSampleMoved = -2;
    connect(m_session, &Session::sampleChanged, this, [&] { positionWhenSampleMoved = m_session->position(); });
    m_session->undoStack()->undo();
    m_session->finishWork();
    QCOMPARE(m_session->dims(), Dims{});
    QCOMPARE(m_session->sample(), 0);
    QCOMPARE(samples.count(), 1);
    QCOMPARE(positionWhenSampleMoved, 9);
    QCOMPARE(m_session->position(), 9);
    QVERIFY(QTest::qWaitForWindowExposed(m_window));
    QTRY_VERIFY(!m_window->hiddenChart()->catchingUp());
    for (const QPointF &p : m_window->hiddenChart()->seriesPoints(0))
        QVERIFY(p.x() <= 9);
}

// The cell chooser in the dimensions bar: LSTM and GRU reshape the kernels to (D, gM), keep D, M,
// K, N, T, X and the timestep, and undo back to the SimpleRNN.
void TestMainWindow::switchingCellsReshapesEveryView()
{
    m_session->seek(4);
    const Eigen::MatrixXd X = m_session->model().input();
    QComboBox *cell = m_window->dimensionsBar()->cell();
    QCOMPARE(cell->currentText(), QStringLiteral("SimpleRNN"));
    QVERIFY(!m_window->dimensionsBar()->offersRecurrentActivation());
    cell->setCurrentIndex(cell->findText(QStringLiteral("LSTM")));
    QCOMPARE(m_session->config().kind, CellKind::LSTM);
    QCOMPARE(m_session->dims(), (Dims{1, 10, 3, 5, 2}));
    QCOMPARE(m_session->position(), 4);
    QCOMPARE(m_session->model().input(), X);
    QVERIFY(m_window->dimensionsBar()->offersRecurrentActivation());
    QVERIFY(!m_window->dimensionsBar()->offersResetAfter());
    const QList<MatrixView *> views = m_window->weightViews();
    QCOMPARE(views[0]->model()->columnCount(), 20); // Wx (3, 4·5)
    QCOMPARE(views[1]->model()->rowCount(), 5);     // Wh (5, 20)
    QCOMPARE(views[1]->model()->columnCount(), 20);
    QCOMPARE(views[2]->model()->columnCount(), 20); // bh
    QVERIFY(views[0]->model()->title().contains(QStringLiteral("(3×20)")));
    QCOMPARE(m_window->summaryView()->table()->item(1, 0)->text(), QStringLiteral("lstm (LSTM)"));
    QCOMPARE(m_window->summaryView()->table()->item(1, 2)->text(), QStringLiteral("180"));
    // The chart of the cell's quantities offers the LSTM's gates and c.
    QComboBox *plot = m_window->findChild<QComboBox *>(QStringLiteral("quantityChooser"));
    QVERIFY(plot);
    QCOMPARE(plot->count(), 5); // i, f, g, o, c
    // GRU with reset_after: bias (2, 3M); without: (3M).
    cell->setCurrentIndex(cell->findText(QStringLiteral("GRU")));
    QVERIFY(m_window->dimensionsBar()->offersResetAfter());
    QCOMPARE(views[0]->model()->columnCount(), 15);
    QCOMPARE(views[2]->model()->rowCount(), 2);
    QCOMPARE(views[2]->model()->headerData(1, Qt::Vertical).toString(), QStringLiteral("recurrent"));
    QCOMPARE(plot->count(), 3); // z, r, h̃
    m_window->dimensionsBar()->resetAfter()->setChecked(false);
    QCOMPARE(m_session->config().resetAfter, false);
    QCOMPARE(views[2]->model()->rowCount(), 1);
    QCOMPARE(m_session->weights().bh.size(), 15);
    QCOMPARE(m_session->position(), 4);
    // Undo walks back through the cells.
    m_session->undoStack()->undo();
    QCOMPARE(m_session->config().resetAfter, true);
    m_session->undoStack()->undo();
    QCOMPARE(m_session->config().kind, CellKind::LSTM);
    m_session->undoStack()->undo();
    QCOMPARE(m_session->config().kind, CellKind::SimpleRNN);
    QCOMPARE(cell->currentText(), QStringLiteral("SimpleRNN"));
    QCOMPARE(views[0]->model()->columnCount(), 5);
    QCOMPARE(plot->count(), 1); // a
}

// Headers name the gate and the unit; the PyTorch layout shows PyTorch's gate order down the rows.
void TestMainWindow::gateBlocksAreLabelledInBothLayouts()
{
    CellSpec gru;
    gru.kind = CellKind::GRU;
    QVERIFY(m_session->setCell(gru));
    MatrixTableModel *wx = m_window->weightViews()[0]->model();
    QCOMPARE(wx->headerData(0, Qt::Horizontal).toString(), QStringLiteral("z[0]"));
    QCOMPARE(wx->headerData(5, Qt::Horizontal).toString(), QStringLiteral("r[0]"));
    QCOMPARE(wx->headerData(14, Qt::Horizontal).toString(), QStringLiteral("h[4]"));
    QVERIFY(wx->gateBoundary(Qt::Horizontal, 5));
    QVERIFY(wx->gateBoundary(Qt::Horizontal, 10));
    QVERIFY(!wx->gateBoundary(Qt::Horizontal, 4));
    QVERIFY(!wx->gateBoundary(Qt::Vertical, 5));
    m_session->setLayout(Layout::PyTorch);
    QCOMPARE(wx->rowCount(), 15);
    QCOMPARE(wx->columnCount(), 3);
    QCOMPARE(wx->headerData(0, Qt::Vertical).toString(), QStringLiteral("r[0]"));
    QCOMPARE(wx->headerData(5, Qt::Vertical).toString(), QStringLiteral("z[0]"));
    QCOMPARE(wx->headerData(10, Qt::Vertical).toString(), QStringLiteral("n[0]"));
    QVERIFY(wx->gateBoundary(Qt::Vertical, 5));
    // weight_ih_l0[r row 0, feature 1] is Keras's Wx[1, r block column 5].
    QCOMPARE(static_cast<float>(wx->value(0, 1)), static_cast<float>(m_session->weights().Wx(1, 5)));
    QCOMPARE(static_cast<float>(wx->value(5, 1)), static_cast<float>(m_session->weights().Wx(1, 0)));
    MatrixTableModel *bh = m_window->weightViews()[2]->model();
    QCOMPARE(bh->rowCount(), 15);
    QCOMPARE(bh->columnCount(), 2);
    QCOMPARE(bh->headerData(1, Qt::Horizontal).toString(), QStringLiteral("bias_hh"));
    QCOMPARE(bh->value(0, 1), m_session->weights().bh(15 + 5)); // bias_hh of r[0]: row 1, block r
    QVERIFY(bh->cellDescription(0, 1).contains(QStringLiteral("recurrent bias")));
}

// An edit of one gate's weight recomputes every view at once and undoes.
void TestMainWindow::gateWeightEditRecomputesAndUndoes()
{
    CellSpec lstm;
    lstm.kind = CellKind::LSTM;
    QVERIFY(m_session->setCell(lstm));
    m_session->seek(9);
    const double before = m_session->model().outputAt(0, 9, 0);
    MatrixTableModel *wh = m_window->weightViews()[1]->model();
    const QModelIndex cell = wh->index(2, 7); // U_f[2, 2]: the forget gate's block
    QVERIFY(wh->headerData(7, Qt::Horizontal).toString() == QStringLiteral("f[2]"));
    QVERIFY(wh->setData(cell, QStringLiteral("3.5"), Qt::EditRole));
    QCOMPARE(m_session->weights().Wh(2, 7), 3.5);
    const double after = m_session->model().outputAt(0, 9, 0);
    QVERIFY(after != before);
    QCOMPARE(m_window->outputChart()->seriesPoints(0).last().y(), after);
    m_session->undoStack()->undo();
    QCOMPARE(m_session->model().outputAt(0, 9, 0), before);
    QCOMPARE(static_cast<float>(wh->value(2, 7)), static_cast<float>(m_session->weights().Wh(2, 7)));
}

// The step panel's gate lines carry the engine's numbers; the quantity chart plots a gate.
void TestMainWindow::gatedStepPanelAndChartsFollowTheEngine()
{
    CellSpec lstm;
    lstm.kind = CellKind::LSTM;
    QVERIFY(m_session->setCell(lstm));
    m_window->diagram()->setFocus();
    for (int i = 0; i < 3; ++i)
        QTest::keyClick(m_window, Qt::Key_Right);
    QCOMPARE(m_session->position(), 2);
    Model &model = const_cast<Model &>(m_session->model());
    const QString text = m_window->stepPanel()->lines().join(QLatin1Char('\n'));
    QVERIFY2(text.contains(QStringLiteral("f_2 = σ(x_2·W_f + h_1·U_f + b_f)")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("c_2 = f_2⊙c_1 + i_2⊙g_2")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("(1×3)(3×5) + (1×5)(5×5) + (5)")), qPrintable(text));
    QVERIFY2(text.contains(rowText(model.hidden(2).row(0))), qPrintable(text));
    QVERIFY2(text.contains(rowText(model.cellState(2).row(0))), qPrintable(text));
    Eigen::RowVectorXd f(5);
    for (int j = 0; j < 5; ++j)
        f(j) = 1.0 / (1.0 + std::exp(-model.pre(2)(0, 5 + j)));
    QVERIFY2(text.contains(rowText(f)), qPrintable(text));
    // Plot the forget gate: the chart's points are σ of the engine's pre-activations.
    QComboBox *plot = m_window->findChild<QComboBox *>(QStringLiteral("quantityChooser"));
    plot->setCurrentIndex(plot->findData(int(Quantity::GateF)));
    TimeSeriesChart *chart = m_window->preChart();
    QCOMPARE(chart->cellQuantity(), Quantity::GateF);
    chart->show();
    m_session->seek(3);
    m_session->seek(2);
    const QList<QPointF> pts = chart->seriesPoints(1);
    QCOMPARE(pts.size(), 3);
    QCOMPARE(pts[2].y(), model.quantityAt(Quantity::GateF, 0, 2, 1));
    QVERIFY(std::abs(pts[2].y() - f(1)) < 1e-6);
}

// "T = 40, Return, End": typed with real key events, the size applies and End goes to the last step.
void TestMainWindow::returnInTheDimensionsBarGivesTheKeysBack()
{
    QSpinBox *T = m_window->dimensionsBar()->spinBox('T');
    T->setFocus();
    T->selectAll();
    QTest::keyClicks(T, QStringLiteral("40"));
    QTest::keyClick(T, Qt::Key_Return);
    QCOMPARE(m_session->dims().T, 40);
    QVERIFY(!T->hasFocus());
    QTest::keyClick(QApplication::focusWidget() ? QApplication::focusWidget() : m_window, Qt::Key_End);
    QCOMPARE(m_session->position(), 39);
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Left);
    QCOMPARE(m_session->position(), 38);
    // Escape drops what was typed and hands the keys back too.
    QSpinBox *M = m_window->dimensionsBar()->spinBox('M');
    M->setFocus();
    M->selectAll();
    QTest::keyClicks(M, QStringLiteral("9"));
    QTest::keyClick(M, Qt::Key_Escape);
    QCOMPARE(m_session->dims().M, 5);
    QCOMPARE(M->value(), 5);
    QVERIFY(!M->hasFocus());
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Home);
    QCOMPARE(m_session->position(), -1);
}

// Every size typed is applied as typed or refused under the value typed: no keystroke is dropped at
// a box's limit (T = 2000000 became 200,000 and applied; K = 70000 became 7000; T = −5 became 5).
void TestMainWindow::sizesAreTakenAsTyped_data()
{
    QTest::addColumn<char>("symbol");
    QTest::addColumn<QString>("typed");
    QTest::addColumn<int>("applied"); // −1: refused
    QTest::addColumn<QString>("message");
    QTest::newRow("T over the limit") << 'T' << "2000000" << -1 << "T=2000000 is out of range: expected 1 \u2264 T \u2264 1048576";
    QTest::newRow("M over the limit") << 'M' << "20000" << -1 << "M=20000 is out of range: expected 1 \u2264 M \u2264 16384";
    QTest::newRow("K over the limit") << 'K' << "70000" << -1 << "K=70000 is out of range";
    QTest::newRow("T negative") << 'T' << "-5" << -1 << "T=-5 is out of range";
    QTest::newRow("N zero") << 'N' << "0" << -1 << "N=0 is out of range";
    QTest::newRow("past 64 bits") << 'T' << "99999999999999999999" << -1 << "T=9223372036854775807 is out of range";
    QTest::newRow("over the memory") << 'N' << "1000000" << -1 << "would need";
    QTest::newRow("within") << 'T' << "123456" << 123456 << "";
    QTest::newRow("K zero") << 'K' << "0" << 0 << "";
}

void TestMainWindow::sizesAreTakenAsTyped()
{
    QFETCH(char, symbol);
    QFETCH(QString, typed);
    QFETCH(int, applied);
    QFETCH(QString, message);
    QSpinBox *box = m_window->dimensionsBar()->spinBox(symbol);
    if (message == QLatin1String("would need")) // N = 1000000 at T = 1000: terabytes
        QVERIFY(m_session->setDims(rnnscope::Dims{1, 1000, 3, 5, 2}));
    const rnnscope::Dims before = m_session->dims();
    const int kept = box->value();
    box->setFocus();
    box->selectAll();
    QTest::keyClicks(box, typed);
    QCOMPARE(box->text(), typed); // every keystroke is in the box
    QSignalSpy refused(m_session, &Session::errorOccurred);
    QTest::keyClick(box, Qt::Key_Return);
    if (applied < 0) {
        QCOMPARE(refused.count(), 1);
        QVERIFY2(refused.first().first().toString().startsWith(message) || refused.first().first().toString().contains(message),
                 qPrintable(refused.first().first().toString()));
        QVERIFY2(m_window->statusText().contains(message), qPrintable(m_window->statusText()));
        QCOMPARE(m_session->dims(), before);
        QCOMPARE(box->value(), kept); // the box shows what is in force
        QCOMPARE(box->text(), QString::number(kept));
    } else {
        QCOMPARE(refused.count(), 0);
        QCOMPARE(box->value(), applied);
        const rnnscope::Dims d = m_session->dims();
        QCOMPARE(symbol == 'T' ? d.T : symbol == 'K' ? d.K : -1, applied);
    }
    // The arrows stay within the limits: Down from K = 0 does nothing.
    if (symbol == 'K' && applied == 0) {
        box->setFocus();
        QTest::keyClick(box, Qt::Key_Down);
        QCOMPARE(box->value(), 0);
        QCOMPARE(refused.count(), 0);
        QTest::keyClick(box, Qt::Key_Up);
        QCOMPARE(m_session->dims().K, 1);
    }
}

// A weight typed into a cell and committed with Return: the playback keys drive the window again
// (End went into the editor's text).
void TestMainWindow::committedCellEditGivesTheKeysBack()
{
    QLineEdit *editor = editWxCell(m_window, 0, 0);
    QVERIFY(editor);
    editor->selectAll();
    QTest::keyClicks(editor, QStringLiteral("0.5"));
    QTest::keyClick(editor, Qt::Key_Return);
    QCOMPARE(m_session->weights().Wx(0, 0), 0.5);
    QTRY_VERIFY(!qobject_cast<QLineEdit *>(QApplication::focusWidget()));
    QTest::keyClick(QApplication::focusWidget() ? QApplication::focusWidget() : m_window, Qt::Key_End);
    QCOMPARE(m_session->position(), m_session->dims().T - 1);
    QTest::keyClick(QApplication::focusWidget(), Qt::Key_Left);
    QCOMPARE(m_session->position(), m_session->dims().T - 2);
}

// A change goes to the worker by the work it takes, not only by the memory: at T = 10, M = 2000 the
// model is small (48 MB) but its orthogonal kernel's QR takes a second, which froze the window.
void TestMainWindow::longDrawsGoToTheWorker()
{
    QSignalSpy started(m_session->job(), &BackgroundJob::started);
    QVERIFY(m_session->setDims(rnnscope::Dims{1, 10, 3, 50, 2})); // quick: here
    QVERIFY(m_session->setReturnSequences(true));
    QCOMPARE(started.count(), 0);
    QVERIFY(m_session->setDims(rnnscope::Dims{1, 10, 3, 2000, 2}));
    QCOMPARE(started.count(), 1);
    QCOMPARE(m_session->dims().M, 2000);
    // A new draw at that size, and an LSTM of 1000 units (a (4000 × 1000) QR), go there too.
    QVERIFY(m_session->randomizeWeights());
    QCOMPARE(started.count(), 2);
    QVERIFY(m_session->setDims(rnnscope::Dims{1, 10, 3, 1000, 2}));
    rnnscope::CellSpec lstm = m_session->config().cellSpec();
    lstm.kind = rnnscope::CellKind::LSTM;
    const int before = started.count();
    QVERIFY(m_session->setCell(lstm));
    QCOMPARE(started.count(), before + 1);
}

// Found by the monkey: a window that ends (SIGTERM, quit) with a cell editor open on a text the
// model refuses commits it on the way out; the refusal's message must not reach the window being
// destroyed (it crashed in MainWindow::showError).
void TestMainWindow::closingWithARefusedEditorOpen()
{
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window));
    QLineEdit *editor = editWxCell(m_window, 0, 0);
    QVERIFY(editor);
    QTest::keyClick(editor, Qt::Key_A, Qt::ControlModifier);
    QTest::keyClick(editor, Qt::Key_Backspace);
    QCOMPARE(editor->text(), QString());
    QSignalSpy refused(m_session, &Session::errorOccurred);
    const double before = m_session->weights().Wx(0, 0);
    delete m_window; // commits "" on its way out: refused
    m_window = nullptr;
    QCOMPARE(m_session->weights().Wx(0, 0), before);
    QVERIFY(refused.count() <= 1);
}

// The heat map of all units shows h_t or any quantity the cell records, chosen beside it.
void TestMainWindow::heatMapOfAnyQuantity()
{
    auto *chooser = m_window->findChild<QComboBox *>(QStringLiteral("mapQuantityChooser"));
    QVERIFY(chooser);
    MatrixTableModel *map = m_window->hiddenMap()->model();
    QCOMPARE(chooser->currentData().toInt(), int(Quantity::Hidden)); // h_t first
    QCOMPARE(chooser->count(), 2);                                     // SimpleRNN: h, a
    CellSpec lstm = m_session->config().cellSpec();
    lstm.kind = CellKind::LSTM;
    QVERIFY(m_session->setCell(lstm));
    QCOMPARE(chooser->count(), 6); // h, i, f, g, o, c
    m_session->seek(3);
    chooser->setCurrentIndex(chooser->findData(int(Quantity::GateF)));
    QCOMPARE(map->quantity(), Quantity::GateF);
    QVERIFY2(map->title().startsWith(QStringLiteral("f[n=0] \u00B7 forget gate f\u209C (10\u00D75)")), qPrintable(map->title()));
    const Model &model = m_session->model();
    for (int t = 0; t <= 3; ++t)
        for (int j = 0; j < 5; ++j)
            QCOMPARE(map->value(t, j), model.quantityAt(Quantity::GateF, 0, t, j));
    QVERIFY(map->value(2, 1) != model.hiddenAt(0, 2, 1));
    QCOMPARE(map->colorScale(), 1.0); // σ bounds a gate
    bool named = false;
    for (const QTabWidget *tabs : m_window->findChildren<QTabWidget *>())
        for (int i = 0; i < tabs->count(); ++i)
            named = named || tabs->tabText(i) == QStringLiteral("f_t heat map (all units)");
    QVERIFY(named);
    // To look at: RNNSCOPE_SCREENSHOT_DIR=… receives the window with the f_t heat map on show.
    if (const QString dir = qEnvironmentVariable("RNNSCOPE_SCREENSHOT_DIR"); !dir.isEmpty()) {
        for (QTabWidget *tabs : m_window->findChildren<QTabWidget *>())
            for (int i = 0; i < tabs->count(); ++i)
                if (tabs->tabText(i) == QStringLiteral("f_t heat map (all units)"))
                    tabs->setCurrentIndex(i);
        m_window->resize(1600, 900);
        QVERIFY(m_window->grab().save(QDir(dir).filePath(QStringLiteral("heatmap_gate_f.png"))));
    }
    // c_t has no bound: the scale follows its values.
    chooser->setCurrentIndex(chooser->findData(int(Quantity::CellState)));
    double largest = 0;
    for (int t = 0; t <= 3; ++t)
        for (int j = 0; j < 5; ++j)
            largest = std::max(largest, std::abs(model.quantityAt(Quantity::CellState, 0, t, j)));
    QCOMPARE(map->colorScale(), largest);
    QVERIFY(map->cellDescription(1, 2).contains(QStringLiteral("unit 2 of the cell state")));
    // Back to a SimpleRNN, which records no c_t: h_t again.
    lstm.kind = CellKind::SimpleRNN;
    QVERIFY(m_session->setCell(lstm));
    QCOMPARE(map->quantity(), Quantity::Hidden);
    QCOMPARE(chooser->currentData().toInt(), int(Quantity::Hidden));
    QVERIFY(map->title().startsWith(QStringLiteral("H[n=0]")));
}

// Presentation mode at 1280×720 clipped the step panel's long lines (an LSTM's gates, their
// numbers): they wrap to the panel's width, every word kept, nothing past the edge.
void TestMainWindow::stepPanelWrapsInPresentationMode_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("dims");
    QTest::newRow("SimpleRNN") << int(CellKind::SimpleRNN) << QStringLiteral("2,10,3,5,2");
    QTest::newRow("LSTM") << int(CellKind::LSTM) << QStringLiteral("1,10,3,5,2");
    QTest::newRow("GRU, 12 units") << int(CellKind::GRU) << QStringLiteral("1,10,3,12,2");
}

void TestMainWindow::stepPanelWrapsInPresentationMode()
{
    QFETCH(int, kind);
    QFETCH(QString, dims);
    QVERIFY(m_session->setDims(parseDims(dims.toStdString())));
    CellSpec cell = m_session->config().cellSpec();
    cell.kind = CellKind(kind);
    QVERIFY(m_session->setCell(cell));
    m_window->resize(1280, 720);
    m_window->setPresentation(true);
    m_session->seek(3);
    QCoreApplication::processEvents();
    StepPanel *panel = m_window->stepPanel();
    const int width = panel->width();
    QVERIFY(width > 0 && width < 1280);
    QFont bold(QStringLiteral("DejaVu Sans Mono"));
    bold.setPointSizeF(panel->font().pointSizeF());
    bold.setBold(true);
    const QFontMetrics fm(bold);
    const QStringList shown = panel->visualLines(width);
    QVERIFY(shown.size() > panel->lines().size()); // something wrapped at this size
    for (const QString &line : shown)
        QVERIFY2(fm.horizontalAdvance(line) + 2 * fm.averageCharWidth() <= width + fm.averageCharWidth(),
                 qPrintable(QStringLiteral("%1 px wide in %2: %3").arg(fm.horizontalAdvance(line)).arg(width).arg(line)));
    // Every word of every line is still there (an equation and its shapes interleave when they
    // break together).
    const auto words = [](const QStringList &lines) {
        QStringList w = lines.join(QLatin1Char(' ')).split(QLatin1Char(' '), Qt::SkipEmptyParts);
        w.sort();
        return w;
    };
    QCOMPARE(words(shown), words(panel->lines()));
    // The panel is as tall as its wrapped lines: the scroll area scrolls to the last one.
    QVERIFY(panel->heightForWidth(width) > panel->heightForWidth(4 * width));
    m_window->setPresentation(false);
}

QTEST_MAIN(TestMainWindow)
#include "test_mainwindow.moc"
