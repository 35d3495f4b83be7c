#pragma once
// Session — the one facade between the window and core.
//
// It owns the rnnscope::Model and its Stepper, is the only object that changes them, and turns
// core's step callbacks into coarse Qt signals. Views read through the const accessors and ask
// for changes through the slots; a refused change (a size that would exhaust memory, a weight
// file that does not fit) emits errorOccurred with core's one-line message and leaves the model
// as it was. Edits of values and every change of the model go through the undo stack.
//
// Its jobs live apart: session.cpp changes the model and steps it; sessionundo.cpp keeps the undo
// history within its memory (the commands are in sessioncommands.h); sessionwork.cpp runs long
// work on the worker (computing, building a change) and settles it; sessionfiles.cpp is the
// document — the file on show, opening, saving, restoring an autosaved copy.

#include "export/codeexport.h"
#include "grad/bptt.h"
#include "grad/dynamics.h"
#include "io/modelrequest.h"
#include "io/networkrequest.h"
#include "io/sessionfile.h"
#include "nn/weights.h"
#include "nn/layer.h"
#include "run/model.h"
#include "run/network.h"
#include "run/stepper.h"
#include "train/task.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <set>

class BackgroundJob;
class QUndoStack;

// A network on show: its state and the direction of the layer the views show.
struct NetworkShown {
    rnnscope::NetworkState state;
    int layer = 0, direction = 0;
};

class Session : public QObject, private rnnscope::StepObserver {
    Q_OBJECT

public:
    explicit Session(QObject *parent = nullptr);                       // the classic example
    explicit Session(rnnscope::Model model, QObject *parent = nullptr);
    // A network on show, its first layer selected (a network of one plain layer: its model).
    explicit Session(rnnscope::NetworkState network, QObject *parent = nullptr);
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

    // Long work — computing more timesteps than a few milliseconds take, after a seek or after a
    // change while far into the sequence — runs on a worker thread (job()), so that the window
    // stays live, shows its progress and can cancel it. Meanwhile the position stays (after a
    // change: −1) and the views read only what is computed; any other command cancels the work
    // first. Finished, the stepper moves to the timestep asked for; cancelled, to the furthest
    // one computed.
    BackgroundJob *job() const { return m_job; }
    bool busy() const;
    void cancelWork();
    // Blocks until the work in progress ends and its result is on show (screenshots, tests).
    void finishWork();
    // Computing runs on the worker above kBackgroundWork multiply–adds (a few ms). Changes of the
    // model (new sizes, new weights, an undo) are built on the worker when the model before or
    // after takes more than kBackgroundBytes, or drawing its weights and input takes more than
    // kBackgroundWork (an orthogonal kernel of M = 2000 takes a second): the window repaints and
    // shows a busy indicator meanwhile, and other commands wait (they are refused until it is done). Cancelled, the
    // change is dropped when the worker returns.
    static constexpr double kBackgroundWork = double(1 << 23);
    static constexpr std::uint64_t kBackgroundBytes = std::uint64_t(8) << 20;
    // Whether a change of the model is being built (the window shows it and blocks input).
    bool changing() const { return m_changing; }

    // How the weight views name and orient the weights.
    rnnscope::Layout layout() const { return m_layout; }

    QUndoStack *undoStack() const { return m_undo; }
    // Whether what is on screen differs from the file it was opened from or saved to (or from the
    // start): the undo stack is not at its clean state, or history that held changes was dropped.
    bool isModified() const;
    // The undo history keeps at most this many bytes of model states (default
    // defaultUndoBytes()): a change that would pass it drops the older history (a notice says so),
    // and a change whose own states pass it cannot be undone.
    void setUndoBytes(std::uint64_t bytes) { m_undoBytes = bytes; }
    std::uint64_t undoLimit() const { return m_undoBytes; }
    // The smaller of 1 GiB and an eighth of the machine's physical memory (a 4 GB school laptop
    // keeps 512 MiB of history, not a quarter of its memory).
    static std::uint64_t defaultUndoBytes();
    std::uint64_t undoBytes() const; // held now

    // The file the model was opened from or last saved to (empty: drawn from the seed), and
    // whether it is a session file, which Save writes back to. Opening or saving a file marks the
    // undo stack clean: the window shows a modified marker while it is not.
    QString filePath() const { return m_filePath; }
    bool isSessionFile() const { return m_sessionFile; }
    void setFilePath(const QString &path, bool session);

    // Picks one of the recurrent layers a model file holds (their names, in model order) when
    // openWeights was not told which: returns the layer to open, or an empty string to cancel.
    // Without a chooser the first layer opens (and a note names the others).
    using LayerChooser = std::function<QString(const QString &fileName, const QStringList &layers)>;
    void setLayerChooser(LayerChooser chooser) { m_chooseLayer = std::move(chooser); }

    // Files. Each returns false (and emits errorOccurred with the reason) when refused; a refused
    // file leaves the model as it was.
    // Any file rnnscope opens, by rnnscope::fileKind: a session, weights or an input X.
    bool openFile(const QString &path, const QString &layer = QString());
    // Weights (.npz, Keras .h5/.keras): D, M, K, the activations and return_sequences follow the
    // file, T too where it records one; N stays. `layer` picks one of several recurrent layers.
    bool openWeights(const QString &path, const QString &layer = QString());
    bool loadInput(const QString &path);                         // .npy (N,T,D) or (T,D), .csv
    bool saveWeights(const QString &path, rnnscope::Layout layout); // .npz, written atomically
    // The model as a Python script (see export/codeexport.h); a large model's numbers go to an .npz
    // beside it, whose name `dataFile` receives ("" when they are inline).
    bool exportCode(const QString &path, rnnscope::CodeTarget target, QString *dataFile = nullptr);
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
    // Unreadable only when the copy itself does not read as a session (damaged); a restore that was
    // cancelled, interrupted or refused (the memory budget) is NotRestored: the copy is still good.
    enum class Recovery { Restored, NotRestored, Unreadable };
    Recovery recover(const QString &copyPath, const QString &origin, bool originIsSession);

    // The whole model (a loaded file, an undo): one undoable change. Returns false when refused.
    bool replaceModel(const rnnscope::ModelState &state, const QString &what);

    // ---- Learning (sessionlearning.cpp): what the gradient, spectrum and training views show ----
    // The gradients of the loss of the output against the gradient target: a task's targets when
    // prepareForTask drew X (L = the task's loss), else zeros of the output's shape (L = mean(y²): how
    // much each h_t moves the output). Computed on first use after a change, in the model's dtype.
    const rnnscope::Gradients &gradients() const;
    // What gradients() is the gradient of, for the view's title: "mse against the adding task's targets".
    QString gradientLossText() const;
    // Your data: the targets Y of the X on show (.npy: the output's shape, or class ids for a
    // sparse loss), for training on them and for the gradient views' loss (mse unless setTargetsLoss).
    // False (errorOccurred, naming the file and the shapes) when unreadable or of another shape
    // than the output's. A new X (loaded, drawn, set up for a task) drops them.
    bool loadTargets(const QString &path);
    const std::optional<rnnscope::NdArray> &targets() const { return m_targets; }
    QString targetsName() const { return m_targetsName; }
    // Changes each time the targets do (a trainer on older targets is not continued).
    int targetsVersion() const { return m_targetsVersion; }
    void setTargetsLoss(rnnscope::Loss loss);
    // ‖∂h_{T−1}/∂h_t‖_F of the selected sample, t = 0 … T−1 (rnnscope::stateJacobianNorms).
    const std::vector<double> &jacobianNorms() const;
    // Every gate block's eigenvalues, ρ and singular values of the recurrent kernel.
    const std::vector<rnnscope::BlockSpectrum> &spectrum() const;
    // The float32 − float64 difference (a teaching point: ~1e-7): the model computed again in the
    // other dtype (made on first use after a change, computed through the steps asked for), and the
    // largest |h_t(float32) − h_t(float64)| of the selected sample at t, of every sample over the
    // steps 0 … t, and of the output y_t (NaN when the model outputs nothing at t). Not computed
    // (computed false) when bringing the other dtype to t would take more than kBackgroundWork, and
    // during a training run.
    struct DtypeDifference {
        bool computed = false;
        double step = 0, run = 0, output = 0;
    };
    DtypeDifference dtypeDifference(int t) const;

    // Multiply–adds of gradients() and of jacobianNorms(): the views compute them live below
    // kLiveLearningWork and offer a button above it.
    double gradientWork() const;
    double jacobianWork() const;
    static constexpr double kLiveLearningWork = 6e7;
    // The recurrent kernel Wh times `factor` (one undoable command): ρ and σ_max scale with it.
    bool scaleRecurrentKernel(double factor);
    // The model set up for `task` (one undoable change): D, K, return_sequences and the Dense
    // activation the task fixes (new Wx and Wo drawn where D or K change), and X a batch of N of the
    // task's samples, whose targets become the gradient target.
    bool prepareForTask(rnnscope::TaskKind task);
    // ---- Networks (sessionnetwork.cpp) ----
    // A network — more than one recurrent layer, a Bidirectional or go_backwards layer, or an
    // Embedding — is on show. The views then show one direction of one of its layers, the selected
    // one, as the model above (Network::layerState): its X is the sequence that layer reads (what
    // the layer under it returns, reversed when it runs backwards), its Dense only at the top. A
    // change made in that model (units, cell, flags, weights, X of the first layer) goes into the
    // network, whose other layers follow; N, T, D and K are the network's.
    bool isNetwork() const { return m_network != nullptr; }
    // The network on show; for a one-layer model, that model as a network of one layer.
    NetworkShown shownNetwork() const;
    const rnnscope::NetworkConfig &networkConfig() const;
    int selectedLayer() const { return m_network ? m_network->layer : 0; }
    // Whether the layer on show reads its input reversed (a backward copy or go_backwards): its
    // step s reads x_{T−1−s}.
    bool readsBackwards() const;
    // What the model on show reads, for the views' titles: "input", "what lstm returns", "the
    // Embedding's rows", with ", reversed" when it reads them backwards (and `reversed` is true).
    QString inputName(bool reversed = true) const;
    int selectedDirection() const { return m_network ? m_network->direction : 0; }
    // The network's Embedding table (V, D), without a copy; empty (0 × 0) without an Embedding.
    const Eigen::MatrixXd &embeddingTable() const
    {
        static const Eigen::MatrixXd none;
        return m_network && m_network->state.config.hasEmbedding() ? m_network->state.weights.embedding : none;
    }
    // The token id sample n reads at timestep t (ids[n·T + t]), or −1 (no Embedding, out of range).
    int tokenId(int n, int t) const
    {
        if (!m_network || !m_network->state.config.hasEmbedding())
            return -1;
        const rnnscope::NetworkState &s = m_network->state;
        const std::size_t i = std::size_t(n) * std::size_t(s.config.T) + std::size_t(t);
        return n >= 0 && t >= 0 && t < s.config.T && i < s.ids.size() ? s.ids[i] : -1;
    }
    // Shows another layer (and direction) of the network; the timestep stays. Not an undo step.
    bool selectLayer(int layer, int direction = 0);
    // The stack as edited, one layer told not to return sequences under another (Keras refuses to
    // build it): that layer, and Keras's error for the layer above it; −1 and "" when it builds.
    // The network on show stays the last one that builds until fixStack() or another change.
    int brokenLayer() const { return m_brokenLayer; }
    QString stackError() const { return m_stackError; }
    // The one-click fix: the layer returns sequences again (the undo of unchecking it).
    void fixStack();
    // Edits of the stack, each one undoable change; the selection follows its layer.
    bool insertLayer(int at); // a copy of the selected layer's cell and units at position `at`
    bool removeLayer(int layer);
    bool moveLayer(int layer, int to);
    bool setLayerBidirectional(int layer, bool on);
    bool setLayerMerge(int layer, rnnscope::Merge merge);
    bool setLayerGoBackwards(int layer, bool on);
    bool setLayerReturnSequences(int layer, bool on);
    // The whole stack at once (`from[l]`: the present layer whose weights new layer l keeps, −1 none).
    bool setStack(const std::vector<rnnscope::LayerSpec> &layers, const std::vector<int> &from, const QString &what);
    // Where the step on show is in the network's schedule (Network::stepAt): layer by layer, in each
    // its forward then its backward pass. stepForward after a direction's last step goes on to the
    // next one's first, stepBack before a direction's first to the last of the one before.
    int scheduleIndex() const;
    int scheduleLength() const;

    // ---- Lessons (sessionlesson.cpp) ----
    // The model a lesson's step sets, as one undoable change named `what` (and set up for `task`
    // when one is named). False (errorOccurred) when refused.
    bool showLessonModel(const rnnscope::ModelRequest &request, std::optional<rnnscope::TaskKind> task, const QString &what);
    // The network a step sets (its layer `layer` on show), likewise one undoable change.
    bool showLessonNetwork(const rnnscope::NetworkRequest &request, int layer, const QString &what);
    // `text` with the live values it names ({params.total}, {value.h[3][0]}, …) filled in from the
    // model on show at the current timestep and sample; names without a value go to `unknown`.
    QString lessonText(const QString &text, QStringList *unknown = nullptr) const;

    // Training (TrainingController): between beginTraining and endTraining the weights on show are
    // the trainer's (showTrainedWeights, no undo step); endTraining makes the whole run one undoable
    // command `what`. Any other change of the model first calls `stop` (which ends the run).
    bool training() const { return m_training; }
    void beginTraining(std::function<void()> stop);
    void showTrainedWeights(const rnnscope::Weights &w);
    void endTraining(const QString &what);

public slots:
    bool setDims(const rnnscope::Dims &dims);
    // One of the sizes, named by its letter ('N', 'T', 'D', 'M', 'K'), at any value a person typed
    // (−5, 2000000): applied, or refused naming that value and the limit or the memory it needs.
    bool setDimension(char symbol, long long value);
    bool setReturnSequences(bool on);
    bool setDtype(rnnscope::DType dtype);
    bool setActivations(rnnscope::Activation cell, rnnscope::Activation dense);
    // Another cell (SimpleRNN, LSTM, GRU; its activations; a GRU's reset_after): D, M, K, N, T, X
    // and the timestep stay.
    bool setCell(const rnnscope::CellSpec &cell);
    bool setSeed(quint64 seed);
    bool setInitSpec(const rnnscope::InitSpec &spec);
    // New weights / a new X: the seed moves on by one and the new seed draws them.
    bool randomizeWeights();
    bool randomizeInput();
    bool setWeightValue(rnnscope::WeightId id, int row, int col, double value);
    bool setInputValue(int n, int t, int d, double value);
    // What the window says about a value typed into a cell: why it was refused (errorOccurred) or
    // what reading it did (a notice), e.g. "Wh[0, 1]: “abc” is not a number: …".
    void reportEntry(const QString &message, bool refused);

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
    void modifiedChanged(bool modified);
    // Something the user should know that is not an error (what a file left out, …).
    void notice(const QString &message);
    // The network, the layer on show or the stack's error changed (after the model's own signals).
    void networkChanged();
    // A training run began or ended.
    void trainingChanged(bool on);
    // The targets or their loss changed: the gradients are of another loss.
    void targetsChanged();

private:
    friend class ModelCommand;
    friend class ValueCommand;
    friend class BrokenStackCommand;
    // The stack as edited refused at `layer` with Keras's `error` (−1: it builds).
    void showBrokenStack(int layer, const QString &error);

    enum class Change { Structure, Weights, Input };
    // Runs `f`; a refusal (rnnscope::Error, or no memory for `what`) emits errorOccurred and
    // returns false.
    bool guarded(const QString &what, const std::function<void()> &f);
    // Applies `change` to the model as one undoable command named `what`; false when refused.
    bool apply(const QString &what, Change kind, const std::function<void(rnnscope::Model &)> &change);
    // One value typed into weight `id` (row a, column b) or X[a, b, c] (no id), named `name`: held
    // as the dtype holds it (a notice when that overflows or underflows), one undoable command.
    bool enterValue(const QString &name, std::optional<rnnscope::WeightId> id, int a, int b, int c, double before, double value);
    // undoBytes(), the networks counted going into `counted` (a network shared is counted once).
    std::uint64_t undoBytes(std::set<const NetworkShown *> *counted) const;
    // Restores a state (undo/redo of a whole-model command) with its network (null: none).
    void restoreState(const rnnscope::ModelState &state, std::shared_ptr<const NetworkShown> network, Change kind);
    void afterChange(Change kind);
    // The session file at `path` on screen, as one undoable change named `what`.
    // Reads a session file (on the worker when large) and shows it; `unreadable`, when given, says
    // whether a failure was the file's (it does not read as a session).
    bool loadAndShow(const QString &path, const QString &what, bool *unreadable = nullptr);
    // `model` in place of the model on show (the stepper follows: it holds the same object).
    void replaceWith(rnnscope::Model &&model);
    // Frees `what` on another thread (the last one handed over is waited for first).
    void disposeLater(std::shared_ptr<void> what);
    // Pushes a whole-model command within the undo memory (see setUndoBytes), with the networks
    // on show before and after (null: a one-layer model).
    void pushModelCommand(const QString &what, Change kind, rnnscope::ModelState before, rnnscope::ModelState after,
                          std::shared_ptr<const NetworkShown> networkBefore = {},
                          std::shared_ptr<const NetworkShown> networkAfter = {});
    // A change of the network on show: `change` edits a copy of it (on the worker when large); the
    // selected layer's view is built from the result. A network of one plain layer becomes the
    // one-layer model again. False (errorOccurred) when refused.
    bool applyNetwork(const QString &what, Change kind, const std::function<void(NetworkShown &)> &change);
    // A stack edit: `edit` changes the layers, says where each new layer's weights come from and
    // which layer is selected after.
    bool editStack(const QString &what, const std::function<void(std::vector<rnnscope::LayerSpec> &, std::vector<int> &, int &)> &edit);
    // A stack edit of one layer's flags (`edit`), which stays selected.
    bool editLayer(int layer, const QString &what, const std::function<void(rnnscope::LayerSpec &)> &edit);
    // The selected layer's view of `shown` (Network::layerState).
    static rnnscope::ModelState layerView(const NetworkShown &shown);
    // `network` on show with `model` its view (replaces both; no undo step).
    void showNetwork(std::shared_ptr<const NetworkShown> network, rnnscope::Model &&model, Change kind);
    // The file on disk now equals what is on screen.
    void markSaved();
    void setDroppedChanges(bool dropped);

    // Cancels and waits for the work in progress, whose result the caller's command replaces, and
    // ends a training run (unless `endsTraining` is false: moving through time does not).
    // False while a change is being built (the caller is a re-entrant command: it must not run).
    bool settle(bool endsTraining = true);
    // Whether the targets fit the model's output (else the gradient views use a target of 0).
    bool targetsFit() const;
    // Drops what the learning views computed (after a change of `kind`; the sample: the Jacobian).
    void forgetLearning(bool all);
    // Runs `build` here, or — `heavy` — on the worker while the event loop goes on. False (and
    // errorOccurred, or a notice when cancelled) when it threw or was cancelled.
    bool buildInBackground(const QString &what, bool heavy, const std::function<void()> &build, bool cancellable = true);
    // Restarts a recomputation that a refused or cancelled command interrupted.
    void resumeReturn();
    // Multiply–adds of drawing new weights of `cell` (with the initializer in force) and/or a new
    // X for sizes `d` (rnnscope::initialWeightsWork): a change whose draw passes kBackgroundWork
    // is built on the worker.
    double drawWork(const rnnscope::Dims &d, const rnnscope::CellSpec &cell, bool weights, bool input) const;
    // Files over 16 MiB are read on the worker.
    static bool largeFile(const QString &path);
    // Computes through t on the worker, then shows t (or the furthest step reached).
    void computeInBackground(int t);

    void stepShown(const rnnscope::StepRecord &record) override;
    void rewound() override;

    rnnscope::Model m_model;
    std::shared_ptr<const NetworkShown> m_network; // the network m_model is a layer of (null: none)
    int m_brokenLayer = -1;
    QString m_stackError;
    rnnscope::Stepper m_stepper;
    rnnscope::StepRecord m_current;
    int m_sample = 0;
    rnnscope::Layout m_layout = rnnscope::Layout::Keras;
    bool m_quiet = false; // while recomputing after a change: stepChanged comes after the change's signal
    QUndoStack *m_undo = nullptr;
    QString m_filePath;
    bool m_sessionFile = false;
    LayerChooser m_chooseLayer;
    BackgroundJob *m_job = nullptr;
    bool m_settling = false;
    bool m_changing = false;     // a change is being built on the worker
    bool m_droppedChanges = false; // undo history that held unsaved changes was dropped
    std::future<void> m_disposal;  // frees a replaced model
    std::uint64_t m_undoBytes = defaultUndoBytes();
    std::uint64_t m_heavyHint = 0; // bytes of the model a change will make, when known before
    double m_workHint = 0;         // multiply–adds of what a change draws (weights, X), when it draws
    int m_returnTo = -1; // the position a recomputation after a change brings back (−1: none)

    // Learning: computed on first use, dropped at a change.
    mutable std::optional<rnnscope::Gradients> m_gradients;
    mutable std::optional<std::vector<double>> m_jacobian;
    mutable std::optional<std::vector<rnnscope::BlockSpectrum>> m_spectrum;
    mutable std::unique_ptr<rnnscope::Model> m_twin; // the model in the other dtype
    mutable std::vector<double> m_twinRunMax;        // max |Δh| over every sample and the steps 0 … s
    std::optional<rnnscope::NdArray> m_targets;        // X's targets: a task's, or a file's
    QString m_targetsName;                             // "the adding task's targets", "Y.npy"
    rnnscope::Loss m_targetsLoss = rnnscope::Loss::MSE; // the loss they go with
    int m_targetsVersion = 0;
    bool m_training = false;
    std::function<void()> m_stopTraining;
    rnnscope::ModelState m_beforeTraining;
};
