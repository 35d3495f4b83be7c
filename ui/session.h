#pragma once
// Session — the one facade between the window and core.
//
// It owns the rnnscope::Model and its Stepper, is the only object that changes them, and turns
// core's step callbacks into coarse Qt signals. Views read through the const accessors and ask
// for changes through the slots; a refused change (a size that would exhaust memory, a weight
// file that does not fit) emits errorOccurred with core's one-line message and leaves the model
// as it was. Edits of values and every change of the model go through the undo stack.

#include "model.h"
#include "sessionfile.h"
#include "stepper.h"
#include "weights.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>

class QUndoStack;

class Session : public QObject, private rnnscope::StepObserver {
    Q_OBJECT

public:
    explicit Session(QObject *parent = nullptr);                       // the classic example
    explicit Session(rnnscope::Model model, QObject *parent = nullptr);
    ~Session() override;

    const rnnscope::Model &model() const { return m_model; }
    const rnnscope::Dims &dims() const { return m_model.dims(); }
    const rnnscope::ModelConfig &config() const { return m_model.config(); }
    const rnnscope::Weights &weights() const { return m_model.weights(); }

    // The timestep on show: −1 before the first step, then 0 … T−1.
    int position() const { return m_stepper.position(); }
    // The selected sample n, 0 … N−1 (the views show its numbers).
    int sample() const { return m_sample; }
    // The record of the timestep on show (t = −1 when before the first step).
    const rnnscope::StepRecord &current() const { return m_current; }
    // Timestep t's record, computing through t when needed (t ≤ position() costs nothing).
    rnnscope::StepRecord record(int t) const { return m_stepper.record(t); }
    // Values of timesteps t ≤ position() (computed), without copies.
    double hiddenValue(int n, int t, int j) const { return m_model.hiddenAt(n, t, j); }
    double preValue(int n, int t, int j) const { return m_model.preAt(n, t, j); }
    double outputValue(int n, int t, int k) const { return m_model.outputAt(n, t, k); }

    // How the weight views name and orient the weights.
    rnnscope::Layout layout() const { return m_layout; }

    QUndoStack *undoStack() const { return m_undo; }

    // The file the model was opened from or last saved to (empty: drawn from the seed), and
    // whether it is a session file, which Save writes back to. Opening or saving a file marks the
    // undo stack clean: the window shows a modified marker while it is not.
    QString filePath() const { return m_filePath; }
    bool isSessionFile() const { return m_sessionFile; }
    void setFilePath(const QString &path, bool session);

    // Picks one of the SimpleRNN layers a model file holds (their names, in model order) when
    // openWeights was not told which: returns the layer to open, or an empty string to cancel.
    // Without a chooser the first layer opens (and a note names the others).
    using LayerChooser = std::function<QString(const QString &fileName, const QStringList &layers)>;
    void setLayerChooser(LayerChooser chooser) { m_chooseLayer = std::move(chooser); }

    // Files. Each returns false (and emits errorOccurred with the reason) when refused; a refused
    // file leaves the model as it was.
    // Any file rnnscope opens, by rnnscope::fileKind: a session, weights or an input X.
    bool openFile(const QString &path, const QString &layer = QString());
    // Weights (.npz, Keras .h5/.keras): D, M, K, the activations and return_sequences follow the
    // file, T too where it records one; N stays. `layer` picks one of several SimpleRNNs.
    bool openWeights(const QString &path, const QString &layer = QString());
    bool loadInput(const QString &path);                         // .npy (N,T,D) or (T,D), .csv
    bool saveWeights(const QString &path, rnnscope::Layout layout); // .npz, written atomically
    // A session file (.json): its model as one undoable change, then what showSession shows.
    bool openSession(const QString &path);
    // Everything on show as a session file, written atomically; `view` holds the window's view
    // choices (the layout is the session's own).
    bool saveSession(const QString &path, const rnnscope::SessionView &view);
    rnnscope::SessionData sessionData(const rnnscope::SessionView &view) const;
    // The timestep, the sample and the layout of `data`, whose model is in place; the rest of its
    // view goes to the window through sessionViewChanged.
    void showSession(const rnnscope::SessionData &data);

    // An autosaved copy (Autosave) back on screen, as one undoable change that leaves the session
    // modified: `origin` is the file it came from (Save writes there when `originIsSession`).
    bool recover(const QString &copyPath, const QString &origin, bool originIsSession);

    // The whole model (a loaded file, an undo): one undoable change. Returns false when refused.
    bool replaceModel(const rnnscope::ModelState &state, const QString &what);

public slots:
    bool setDims(const rnnscope::Dims &dims);
    bool setReturnSequences(bool on);
    bool setDtype(rnnscope::DType dtype);
    bool setActivations(rnnscope::Activation cell, rnnscope::Activation dense);
    bool setSeed(quint64 seed);
    bool setInitSpec(const rnnscope::InitSpec &spec);
    // New weights / a new X: the seed moves on by one and the new seed draws them.
    bool randomizeWeights();
    bool randomizeInput();
    bool setWeightValue(rnnscope::WeightId id, int row, int col, double value);
    bool setInputValue(int n, int t, int d, double value);

    void stepForward();
    void stepBack();
    void seek(int t);
    void reset();
    void setSample(int n);
    void setLayout(rnnscope::Layout layout);

signals:
    // Sizes, dtype, activations or return_sequences changed: views reshape.
    void structureChanged();
    // Weight values changed (shapes unchanged).
    void weightsChanged();
    // Input values changed (shapes unchanged).
    void inputChanged();
    // The timestep on show, or its numbers, changed.
    void stepChanged(int t);
    void sampleChanged(int n);
    void layoutChanged();
    void errorOccurred(const QString &message);
    // A session file asks for these view choices (the window applies them).
    void sessionViewChanged(const rnnscope::SessionView &view);
    void filePathChanged(const QString &path);
    // Something the user should know that is not an error (what a file left out, …).
    void notice(const QString &message);

private:
    friend class ModelCommand;
    friend class ValueCommand;

    enum class Change { Structure, Weights, Input };
    // Runs `f`; a refusal (rnnscope::Error, or no memory for `what`) emits errorOccurred and
    // returns false.
    bool guarded(const QString &what, const std::function<void()> &f);
    // Applies `change` to the model as one undoable command named `what`; false when refused.
    bool apply(const QString &what, Change kind, const std::function<void(rnnscope::Model &)> &change);
    // Restores a state (undo/redo of a whole-model command).
    void restoreState(const rnnscope::ModelState &state, Change kind);
    void afterChange(Change kind);

    void stepShown(const rnnscope::StepRecord &record) override;
    void rewound() override;

    rnnscope::Model m_model;
    rnnscope::Stepper m_stepper;
    rnnscope::StepRecord m_current;
    int m_sample = 0;
    rnnscope::Layout m_layout = rnnscope::Layout::Keras;
    bool m_quiet = false; // while recomputing after a change: stepChanged comes after the change's signal
    QUndoStack *m_undo = nullptr;
    QString m_filePath;
    bool m_sessionFile = false;
    LayerChooser m_chooseLayer;
};
