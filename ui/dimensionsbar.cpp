#include "dimensionsbar.h"

#include "session.h"

#include <QCheckBox>
#include <QKeyEvent>
#include <QComboBox>
#include <QActionGroup>
#include <QLabel>
#include <QMenu>
#include <QToolButton>
#include <QSpinBox>

#include <algorithm>
#include <limits>
#include <utility>

using namespace rnnscope;

namespace {

const char kSymbols[] = "NTDMK";

QString tip(char symbol)
{
    switch (symbol) {
    case 'N': return QObject::tr("N: samples in the batch. X is (N, T, D).");
    case 'T': return QObject::tr("T: timesteps of each sequence.");
    case 'D': return QObject::tr("D: input features per timestep. The kernel Wx is (D, gM), g the cell's gate blocks.");
    case 'M': return QObject::tr("M: units of the recurrent layer. h_t is (N, M); the recurrent kernel Wh is (M, gM): "
                                 "g = 1 SimpleRNN, 4 LSTM, 3 GRU.");
    case 'K': return QObject::tr("K: output units of the Dense layer (0: no Dense layer). Wo is (M, K).");
    }
    return {};
}

// A spin box's size hint `hint` made as wide as `widest` needs instead of the widest value of its
// range (a box takes numbers wider than it shows; they scroll in it).
QSize narrowedTo(QSize hint, const QSpinBox &box, const QString &widest, const QString &rangeWidest)
{
    const QFontMetrics fm(box.fontMetrics());
    hint.rwidth() -= std::max(0, fm.horizontalAdvance(rangeWidest) - fm.horizontalAdvance(widest));
    return hint;
}

// The seed box: as wide as seven digits, not nine, so that the options fit a projector's width.
class SeedSpinBox : public QSpinBox {
public:
    using QSpinBox::QSpinBox;
    QSize sizeHint() const override { return narrowed(QSpinBox::sizeHint()); }
    QSize minimumSizeHint() const override { return narrowed(QSpinBox::minimumSizeHint()); }

private:
    QSize narrowed(QSize s) const { return narrowedTo(s, *this, textFromValue(9999999), textFromValue(maximum())); }
};

// A size box that never drops a keystroke: any whole number can be typed (−5, 2000000), and what
// is typed goes to the session as typed, which applies it or refuses it saying why; the box then
// shows what is in force. The arrows and Page keys step within the dimension's own limits.
class DimensionSpinBox : public QSpinBox {
public:
    static constexpr int kWide = 1 << 30; // what the box holds; values past it are told by typed()

    DimensionSpinBox(int lo, int hi, QWidget *parent)
        : QSpinBox(parent)
        , m_lo(lo)
        , m_hi(hi)
    {
        setRange(-kWide, kWide);
    }

    // The number last typed, unclamped (beyond ±2⁶³ it saturates), when it is what the box holds
    // now; else (a value set by a program) the value.
    long long typed() const
    {
        return std::clamp<long long>(m_typed, -kWide, kWide) == value() ? m_typed : value();
    }

    QValidator::State validate(QString &input, int &) const override
    {
        const QString t = digitsOf(input);
        if (t.isEmpty() || t == QLatin1String("-") || t == QLatin1String("+"))
            return QValidator::Intermediate;
        for (qsizetype i = 0; i < t.size(); ++i)
            if (!t[i].isDigit() && !(i == 0 && (t[i] == QLatin1Char('-') || t[i] == QLatin1Char('+'))))
                return QValidator::Invalid;
        return QValidator::Acceptable;
    }

    int valueFromText(const QString &text) const override
    {
        const QString t = digitsOf(text);
        bool ok = false;
        long long v = t.toLongLong(&ok);
        if (!ok) // more digits than a 64-bit number holds
            v = t.startsWith(QLatin1Char('-')) ? std::numeric_limits<long long>::min() : std::numeric_limits<long long>::max();
        m_typed = v;
        return static_cast<int>(std::clamp<long long>(v, -kWide, kWide));
    }

    void stepBy(int steps) override
    {
        const long long v = std::clamp<long long>(static_cast<long long>(value()) + steps, m_lo, m_hi);
        m_typed = v;
        setValue(static_cast<int>(v));
        selectAll();
    }

    // As wide as the dimension's own limits need, not the ±2³⁰ the box takes.
    QSize sizeHint() const override { return narrowed(QSpinBox::sizeHint()); }
    QSize minimumSizeHint() const override { return narrowed(QSpinBox::minimumSizeHint()); }

protected:
    StepEnabled stepEnabled() const override
    {
        StepEnabled e = StepNone;
        if (value() > m_lo)
            e |= StepDownEnabled;
        if (value() < m_hi)
            e |= StepUpEnabled;
        return e;
    }

private:
    static QString digitsOf(const QString &text)
    {
        QString t = text.trimmed();
        t.replace(QChar(0x2212), QLatin1Char('-'));
        t.remove(QLatin1Char(' '));
        t.remove(QLatin1Char(','));
        t.remove(QChar(0x202F)); // narrow no-break space, a group separator
        t.remove(QChar(0x00A0));
        return t;
    }

    QSize narrowed(QSize s) const
    {
        const QFontMetrics fm(fontMetrics());
        const QString lo = textFromValue(m_lo), hi = textFromValue(m_hi);
        return narrowedTo(s, *this, fm.horizontalAdvance(lo) > fm.horizontalAdvance(hi) ? lo : hi, textFromValue(-kWide));
    }

    int m_lo, m_hi;
    mutable long long m_typed = 0;
};

} // namespace

DimensionsBar::DimensionsBar(Session *session, QWidget *parent)
    : QToolBar(tr("Dimensions"), parent)
    , m_session(session)
    , m_returnSequences(new QCheckBox(tr("return_sequences"), this))
    , m_activation(new QComboBox(this))
    , m_cell(new QComboBox(this))
    , m_recurrent(new QComboBox(this))
    , m_resetAfter(new QCheckBox(tr("reset_after"), this))
    , m_dtype(new QComboBox(this))
    , m_seed(new SeedSpinBox(this))
    , m_init(new QComboBox(this))
    , m_options(new QToolBar(tr("Model options"), parent))
    , m_settings(new QToolBar(tr("Numbers and initializer"), parent))
    , m_layers(new QToolBar(tr("Layers"), parent))
{
    setObjectName(QStringLiteral("dimensionsBar"));
    m_options->setObjectName(QStringLiteral("optionsBar"));
    m_settings->setObjectName(QStringLiteral("settingsBar"));
    // As wide as their usual choices ("sigmoid", "glorot / orthogonal"), not their longest
    // ("hard_sigmoid_keras2", elided in the box, whole in the list): the bar fits a projector.
    for (auto [box, letters] : {std::pair{m_activation, 7}, std::pair{m_recurrent, 7}, std::pair{m_init, 10}}) {
        box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        box->setMinimumContentsLength(letters);
    }
    m_cell->setObjectName(QStringLiteral("cellChooser"));
    for (CellKind k : {CellKind::SimpleRNN, CellKind::LSTM, CellKind::GRU})
        m_cell->addItem(QLatin1String(cellClassName(k)), static_cast<int>(k));
    m_cell->setToolTip(tr("The recurrent cell: SimpleRNN, LSTM (gates i, f, c, o and a cell state c) or GRU "
                          "(gates z, r, h). D, M, K, N, T and the timestep stay when it changes."));
    addWidget(m_cell);
    connect(m_cell, &QComboBox::currentIndexChanged, this, &DimensionsBar::cellEdited);
    const int maxima[5] = {DimLimits::maxN, DimLimits::maxT, DimLimits::maxD, DimLimits::maxM, DimLimits::maxK};
    for (int i = 0; i < 5; ++i) {
        auto *label = new QLabel(QStringLiteral(" %1").arg(QLatin1Char(kSymbols[i])), this);
        label->setToolTip(tip(kSymbols[i]));
        QFont f = label->font();
        f.setBold(true);
        label->setFont(f);
        addWidget(label);
        m_dims[i] = new DimensionSpinBox(kSymbols[i] == 'K' ? 0 : 1, maxima[i], this);
        m_dims[i]->setObjectName(QStringLiteral("spin%1").arg(QLatin1Char(kSymbols[i])));
        m_dims[i]->setToolTip(tip(kSymbols[i]));
        m_dims[i]->setKeyboardTracking(false); // typing 256 does not build 2 and 25 first
        m_dims[i]->setAccelerated(true);
        label->setBuddy(m_dims[i]);
        addWidget(m_dims[i]);
        connect(m_dims[i], &QSpinBox::valueChanged, this, [this, i] { dimEdited(i); });
        m_dims[i]->installEventFilter(this);
    }
    m_returnSequences->setToolTip(tr("With return_sequences the recurrent layer outputs every h_t: (N, T, M), and Dense applies per timestep."));
    m_options->addWidget(m_returnSequences);
    connect(m_returnSequences, &QCheckBox::toggled, this, [this](bool on) {
        if (!m_syncing && !m_session->setReturnSequences(on))
            syncFromModel();
    });

    m_options->addWidget(new QLabel(tr(" activation "), this));
    for (Activation a : {Activation::Tanh, Activation::Relu, Activation::Sigmoid, Activation::Linear,
                         Activation::HardSigmoid, Activation::HardSigmoidKeras2})
        m_activation->addItem(QLatin1String(activationName(a)), static_cast<int>(a));
    m_activation->setToolTip(tr("The cell's activation act: h_t = act(x_t·Wx + h_{t-1}·Wh + bh) for a SimpleRNN, "
                                "the candidate and act(c_t) of an LSTM, the candidate h̃ of a GRU."));
    m_options->addWidget(m_activation);
    connect(m_activation, &QComboBox::currentIndexChanged, this, &DimensionsBar::cellEdited);

    m_recurrentLabel = m_options->addWidget(new QLabel(tr(" σ "), this));
    for (Activation a : {Activation::Sigmoid, Activation::HardSigmoid, Activation::HardSigmoidKeras2, Activation::Tanh,
                         Activation::Relu, Activation::Linear})
        m_recurrent->addItem(QLatin1String(activationName(a)), static_cast<int>(a));
    m_recurrent->setObjectName(QStringLiteral("recurrentActivation"));
    m_recurrent->setToolTip(tr("The gates' recurrent activation σ: sigmoid (Keras's default since 2.3), hard_sigmoid "
                               "(Keras 3: clip(x/6 + 0.5, 0, 1)) or hard_sigmoid_keras2 (clip(0.2x + 0.5, 0, 1))."));
    m_recurrentAction = m_options->addWidget(m_recurrent);
    connect(m_recurrent, &QComboBox::currentIndexChanged, this, &DimensionsBar::cellEdited);
    m_resetAfter->setToolTip(tr("GRU reset_after (Keras 3's default): the reset gate multiplies h_{t-1}·U_h + b'_h, "
                                "and the bias is (2, 3M). Off: it multiplies h_{t-1} before U_h, bias (3M), as in "
                                "Keras 1 and 2."));
    m_resetAfterAction = m_options->addWidget(m_resetAfter);
    connect(m_resetAfter, &QCheckBox::toggled, this, &DimensionsBar::cellEdited);

    m_dtype->addItem(QStringLiteral("float32"), static_cast<int>(DType::Float32));
    m_dtype->addItem(QStringLiteral("float64"), static_cast<int>(DType::Float64));
    m_dtype->setToolTip(tr("float32 computes like Keras, float64 like NumPy: compare the numbers (they differ near 1e-7)."));
    m_settings->addWidget(m_dtype);
    connect(m_dtype, &QComboBox::currentIndexChanged, this, [this] {
        if (!m_syncing && !m_session->setDtype(static_cast<DType>(m_dtype->currentData().toInt())))
            syncFromModel();
    });

    m_settings->addWidget(new QLabel(tr(" seed "), this));
    m_seed->setRange(0, 999999999);
    m_seed->setKeyboardTracking(false);
    m_seed->setToolTip(tr("The same seed always gives the same weights and input."));
    m_seed->installEventFilter(this);
    m_settings->addWidget(m_seed);
    connect(m_seed, &QSpinBox::valueChanged, this, [this](int v) {
        if (!m_syncing && !m_session->setSeed(static_cast<quint64>(v)))
            syncFromModel();
    });

    const struct {
        InitScheme scheme;
        const char *label;
    } inits[] = {{InitScheme::KerasDefault, "glorot / orthogonal (Keras)"},
                 {InitScheme::Normal, "normal σ=0.05"},
                 {InitScheme::Uniform, "uniform ±0.05"},
                 {InitScheme::Identity, "identity Wh (IRNN)"},
                 {InitScheme::Zeros, "zeros"}};
    for (const auto &i : inits)
        m_init->addItem(tr(i.label), static_cast<int>(i.scheme));
    m_init->setToolTip(tr("How Randomize weights draws them."));
    m_settings->addWidget(m_init);
    connect(m_init, &QComboBox::currentIndexChanged, this, [this] {
        if (m_syncing)
            return;
        InitSpec spec = m_session->config().init;
        spec.scheme = static_cast<InitScheme>(m_init->currentData().toInt());
        if (!m_session->setInitSpec(spec))
            syncFromModel();
    });

    buildLayersBar();
    connect(session, &Session::structureChanged, this, &DimensionsBar::syncFromModel);
    connect(session, &Session::networkChanged, this, &DimensionsBar::syncFromModel);
    connect(session, &Session::weightsChanged, this, &DimensionsBar::syncFromModel);
    connect(session, &Session::inputChanged, this, &DimensionsBar::syncFromModel);
    syncFromModel();
}

QSpinBox *DimensionsBar::spinBox(char symbol) const
{
    for (int i = 0; i < 5; ++i)
        if (kSymbols[i] == symbol)
            return m_dims[i];
    return nullptr;
}

void DimensionsBar::syncFromModel()
{
    m_syncing = true;
    const Dims &d = m_session->dims();
    const NetworkConfig &net = m_session->networkConfig(); // N, T, D and K are the network's
    const int values[5] = {net.N, net.T, net.D, d.M, net.K};
    for (int i = 0; i < 5; ++i)
        m_dims[i]->setValue(values[i]);
    const ModelConfig &c = m_session->config();
    m_returnSequences->setChecked(m_session->brokenLayer() == m_session->selectedLayer() ? false : c.returnSequences);
    m_activation->setCurrentIndex(m_activation->findData(static_cast<int>(c.cell)));
    m_cell->setCurrentIndex(m_cell->findData(static_cast<int>(c.kind)));
    m_recurrent->setCurrentIndex(m_recurrent->findData(static_cast<int>(c.recurrent)));
    m_resetAfter->setChecked(c.resetAfter);
    m_recurrentLabel->setVisible(c.kind != CellKind::SimpleRNN);
    m_recurrentAction->setVisible(c.kind != CellKind::SimpleRNN);
    m_resetAfterAction->setVisible(c.kind == CellKind::GRU);
    m_dtype->setCurrentIndex(m_dtype->findData(static_cast<int>(c.dtype)));
    m_seed->setValue(static_cast<int>(std::min<quint64>(c.seed, 999999999)));
    m_init->setCurrentIndex(m_init->findData(static_cast<int>(c.init.scheme)));
    syncLayers();
    m_syncing = false;
}

void DimensionsBar::buildLayersBar()
{
    // The stack's edits are one menu beside return_sequences (the two go together: a layer under
    // another returns sequences), so that a one-layer model's bars keep their one row at 1600 px.
    // A network adds the Layers bar: which layer the views show, and + layer.
    m_layers->setObjectName(QStringLiteral("layersBar"));
    m_layer = new QComboBox(this);
    m_layer->setObjectName(QStringLiteral("layerChooser"));
    m_layer->setToolTip(tr("The recurrent layer the views show, bottom up as Keras names them. The cell, M, "
                           "return_sequences and the activations are its own; N, T, D and K the network's."));
    m_layer->setSizeAdjustPolicy(QComboBox::AdjustToContents); // "layer 2 bidirectional_1" whole
    m_layers->addWidget(m_layer);
    connect(m_layer, &QComboBox::currentIndexChanged, this, [this](int i) {
        if (!m_syncing && i >= 0 && !m_session->selectLayer(i, 0))
            syncFromModel();
    });
    m_addLayer = new QAction(tr("+ layer"), this);
    m_addLayer->setToolTip(tr("Add a recurrent layer on top of the selected one (a copy of its cell and units): "
                              "the layer under it then returns sequences."));
    connect(m_addLayer, &QAction::triggered, this, [this] { m_session->insertLayer(m_session->selectedLayer() + 1); });
    m_layers->addAction(m_addLayer);
    auto *menu = new QMenu(this);
    menu->setToolTipsVisible(true);
    menu->addAction(m_addLayer);
    m_removeLayer = menu->addAction(tr("Remove layer"), this, [this] { m_session->removeLayer(m_session->selectedLayer()); });
    m_moveDown = menu->addAction(tr("Move down (towards the input)"), this,
                                 [this] { m_session->moveLayer(m_session->selectedLayer(), m_session->selectedLayer() - 1); });
    m_moveUp = menu->addAction(tr("Move up (towards the output)"), this,
                               [this] { m_session->moveLayer(m_session->selectedLayer(), m_session->selectedLayer() + 1); });
    menu->addSeparator();
    m_bidirectional = menu->addAction(tr("Bidirectional"));
    m_bidirectional->setCheckable(true);
    m_bidirectional->setToolTip(tr("A forward and a backward copy of the layer, each with its own weights, their outputs merged."));
    connect(m_bidirectional, &QAction::toggled, this, [this](bool on) {
        if (!m_syncing && !m_session->setLayerBidirectional(m_session->selectedLayer(), on))
            syncFromModel();
    });
    auto *merges = new QActionGroup(this);
    for (Merge m : {Merge::Concat, Merge::Sum, Merge::Mul, Merge::Ave}) {
        QAction *a = menu->addAction(tr("    merge_mode=%1").arg(QLatin1String(mergeName(m))));
        a->setCheckable(true);
        merges->addAction(a);
        m_merge[static_cast<int>(m)] = a;
        connect(a, &QAction::triggered, this, [this, m] {
            if (!m_syncing && !m_session->setLayerMerge(m_session->selectedLayer(), m))
                syncFromModel();
        });
    }
    menu->addSeparator();
    m_goBackwards = menu->addAction(tr("go_backwards"));
    m_goBackwards->setCheckable(true);
    m_goBackwards->setToolTip(tr("The layer reads x_{T−1} … x_0 and returns its states in that order."));
    connect(m_goBackwards, &QAction::toggled, this, [this](bool on) {
        if (!m_syncing && !m_session->setLayerGoBackwards(m_session->selectedLayer(), on))
            syncFromModel();
    });
    auto *stack = new QToolButton(this);
    stack->setObjectName(QStringLiteral("stackMenu"));
    stack->setText(tr("Layers"));
    stack->setToolTip(tr("Stack layers: add one on top, remove or move the selected one; Bidirectional and its merge "
                         "mode; go_backwards."));
    stack->setMenu(menu);
    stack->setPopupMode(QToolButton::InstantPopup);
    // Beside return_sequences, in the cell's options.
    m_options->insertWidget(m_options->actions().value(1), stack);
}

void DimensionsBar::syncLayers()
{
    const NetworkConfig &net = m_session->networkConfig();
    const std::vector<std::string> names = layerNames(net.layers);
    const int L = net.layerCount(), selected = m_session->selectedLayer();
    QStringList items, tips;
    for (int l = 0; l < L; ++l) {
        const LayerSpec &spec = net.layers[static_cast<std::size_t>(l)];
        items << tr("layer %1 %2").arg(l + 1).arg(QString::fromStdString(names[static_cast<std::size_t>(l)]));
        tips << QStringLiteral("%1 (%2), %3 units").arg(QString::fromStdString(names[static_cast<std::size_t>(l)]),
                                                        QString::fromStdString(layerClassName(spec)))
                    .arg(spec.units);
    }
    bool same = m_layer->count() == L; // (rebuilt only when the stack changed: an open list stays open)
    for (int l = 0; same && l < L; ++l)
        same = m_layer->itemText(l) == items[l] && m_layer->itemData(l, Qt::ToolTipRole).toString() == tips[l];
    if (!same) {
        m_layer->clear();
        m_layer->addItems(items);
        for (int l = 0; l < L; ++l)
            m_layer->setItemData(l, tips[l], Qt::ToolTipRole);
    }
    m_layer->setCurrentIndex(selected);
    const LayerSpec &spec = net.layers[static_cast<std::size_t>(selected)];
    m_removeLayer->setEnabled(L > 1);
    m_moveDown->setEnabled(selected > 0);
    m_moveUp->setEnabled(selected + 1 < L);
    m_addLayer->setEnabled(L < kMaxLayers);
    m_bidirectional->setChecked(spec.bidirectional);
    for (QAction *a : m_merge) {
        a->setEnabled(spec.bidirectional);
        a->setChecked(false);
    }
    m_merge[static_cast<int>(spec.merge)]->setChecked(true);
    m_goBackwards->setChecked(spec.goBackwards);
    m_layers->setVisible(m_session->isNetwork());
}

bool DimensionsBar::eventFilter(QObject *watched, QEvent *event)
{
    // After Return (the value applies) or Escape (it goes back to what is in force), the box hands
    // the keyboard back: "T = 1000000, Return, End" goes to the last step.
    if (event->type() == QEvent::KeyPress) {
        auto *spin = qobject_cast<QSpinBox *>(watched);
        const int key = static_cast<QKeyEvent *>(event)->key();
        if (spin && (key == Qt::Key_Return || key == Qt::Key_Enter || key == Qt::Key_Escape)) {
            if (key == Qt::Key_Escape)
                syncFromModel(); // the text typed is dropped
            else
                spin->interpretText(); // applies it (valueChanged)
            emit editingDone();
            return key == Qt::Key_Escape; // Return also reaches the box (it selects its text)
        }
    }
    return QToolBar::eventFilter(watched, event);
}

void DimensionsBar::cellEdited()
{
    if (m_syncing)
        return;
    CellSpec c;
    c.kind = static_cast<CellKind>(m_cell->currentData().toInt());
    c.activation = static_cast<Activation>(m_activation->currentData().toInt());
    c.recurrent = static_cast<Activation>(m_recurrent->currentData().toInt());
    c.resetAfter = m_resetAfter->isChecked();
    if (!m_session->setCell(c))
        syncFromModel();
}

void DimensionsBar::dimEdited(int i)
{
    if (m_syncing)
        return;
    // As typed, not as the box holds it: "T = 99999999999" is refused under that name.
    if (!m_session->setDimension(kSymbols[i], static_cast<DimensionSpinBox *>(m_dims[i])->typed()))
        syncFromModel();
}
