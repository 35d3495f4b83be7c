#include "matrixtablemodel.h"

#include "session.h"
#include "valuetext.h"

#include <QBrush>
#include <QFont>

#include <algorithm>
#include <cmath>
#include <vector>
#include <limits>

using rnnscope::Activation;
using rnnscope::Layout;
using rnnscope::WeightId;

namespace {

// Rows whose statistics a step adds at once; a longer jump counts them again when asked.
constexpr int kMergeRows = 4096;

} // namespace

MatrixTableModel::MatrixTableModel(Session *session, Source source, QObject *parent)
    : QAbstractTableModel(parent)
    , m_session(session)
    , m_source(source)
{
    Q_ASSERT(session);
    const bool weight = source != Source::Input && source != Source::Hidden && source != Source::Embedding;

    connect(session, &Session::structureChanged, this, &MatrixTableModel::resetAll);
    if (weight) {
        connect(session, &Session::layoutChanged, this, &MatrixTableModel::resetAll);
        connect(session, &Session::weightsChanged, this, &MatrixTableModel::valuesChanged);
        for (auto signal : {&Session::inputChanged, &Session::targetsChanged}) // dL/dW depends on X and the loss too
            connect(session, signal, this, [this] {
                if (m_gradient)
                    valuesChanged();
            });
    } else if (source == Source::Embedding) {
        // The table is the network's: it changes with its weights and with the network (after the
        // model's own signals); the row marked is the token read at the step on show.
        connect(session, &Session::weightsChanged, this, &MatrixTableModel::onTableChanged);
        connect(session, &Session::networkChanged, this, &MatrixTableModel::onTableChanged);
        connect(session, &Session::stepChanged, this, &MatrixTableModel::onStepChanged);
        connect(session, &Session::sampleChanged, this, &MatrixTableModel::onStepChanged);
        connect(session, &Session::inputChanged, this, [this] { onStepChanged(0); });
    } else {
        connect(session, &Session::sampleChanged, this, &MatrixTableModel::resetAll);
        connect(session, &Session::stepChanged, this, &MatrixTableModel::onStepChanged);
        if (source == Source::Input) {
            connect(session, &Session::inputChanged, this, &MatrixTableModel::valuesChanged);
        } else {
            // Hidden states change with weights and input, but the stepper recomputes them only
            // after these signals; the stepChanged that follows tells the views.
            connect(session, &Session::weightsChanged, this, [this] { m_valuesDirty = true; });
            connect(session, &Session::inputChanged, this, [this] { m_valuesDirty = true; });
        }
    }
    connect(session, &QObject::destroyed, this, [this] {
        // The session's members are gone already: forget it before the views ask anything.
        m_session = nullptr;
        beginResetModel();
        invalidateStats();
        endResetModel();
    });
    refreshSpec();
    m_shownRows = filledRows();
    m_shownCurrent = currentRow();
    m_shownShape = {rowCount(), columnCount()};
    m_valuesDirty = false;
}

MatrixTableModel::~MatrixTableModel() = default;

void MatrixTableModel::refreshSpec()
{
    // What the parameter on show says about itself (names, shape, axes, gate blocks), taken once
    // per reset: rowCount() and value() are asked for every painted cell.
    const auto id = weightId();
    m_spec = id && m_session ? std::optional(rnnscope::paramSpec(*id, m_session->weights())) : std::nullopt;
}

rnnscope::Layout MatrixTableModel::layout() const
{
    return pytorch() ? Layout::PyTorch : Layout::Keras;
}

std::optional<WeightId> MatrixTableModel::weightId() const
{
    switch (m_source) {
    case Source::Wx: return WeightId::Wx;
    case Source::Wh: return WeightId::Wh;
    case Source::bh: return WeightId::bh;
    case Source::Wo: return WeightId::Wo;
    case Source::bo: return WeightId::bo;
    case Source::Input:
    case Source::Hidden:
    case Source::Embedding: break;
    }
    return std::nullopt;
}

bool MatrixTableModel::pytorch() const
{
    return m_session && m_session->layout() == Layout::PyTorch;
}

// ---------------------------------------------------------------- shape

int MatrixTableModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() || !m_session)
        return 0;
    if (m_spec) // (no Dense layer, K = 0: no rows either)
        return m_spec->size() == 0 ? 0 : static_cast<int>(m_spec->rowsIn(layout()));
    if (m_source == Source::Embedding)
        return static_cast<int>(m_session->embeddingTable().rows());
    return m_session->dims().T;
}

int MatrixTableModel::columnCount(const QModelIndex &parent) const
{
    if (parent.isValid() || !m_session)
        return 0;
    if (m_spec)
        return m_spec->size() == 0 ? 0 : static_cast<int>(m_spec->colsIn(layout()));
    if (m_source == Source::Embedding)
        return static_cast<int>(m_session->embeddingTable().cols());
    return m_source == Source::Input ? m_session->dims().D : m_session->dims().M;
}

int MatrixTableModel::filledRows() const
{
    if (!m_session)
        return 0;
    if (m_source != Source::Hidden)
        return rowCount();
    // Rows t ≤ position() are computed; the bound by computedSteps() covers the moment between a
    // change of the model and the stepper's recomputation.
    const int rows = std::min(m_session->position() + 1, m_session->model().computedSteps());
    return std::clamp(rows, 0, m_session->dims().T);
}

int MatrixTableModel::currentRow() const
{
    if (m_source == Source::Embedding && m_session && m_session->isNetwork()) {
        // The token the layer on show reads at its step p: the network's timestep p, or T−1−p when
        // that direction runs backwards (what it reads is then reversed).
        const int p = m_session->position(), T = m_session->dims().T;
        if (p < 0 || p >= T)
            return -1;
        const bool backwards = m_session->readsBackwards();
        const int id = m_session->tokenId(m_session->sample(), backwards ? T - 1 - p : p);
        return id >= 0 && id < rowCount() ? id : -1;
    }
    if (!m_session || (m_source != Source::Input && m_source != Source::Hidden))
        return -1;
    const int p = m_session->position();
    return p >= 0 && p < m_session->dims().T ? p : -1;
}

int MatrixTableModel::gateBlocks() const
{
    return m_session && m_spec ? m_spec->gates : 1;
}

Qt::Orientation MatrixTableModel::gatedOrientation() const
{
    return pytorch() ? Qt::Vertical : Qt::Horizontal;
}

bool MatrixTableModel::gateBoundary(Qt::Orientation orientation, int section) const
{
    const int g = gateBlocks();
    if (g <= 1 || orientation != gatedOrientation() || section <= 0)
        return false;
    return section % m_session->dims().M == 0;
}

QString MatrixTableModel::gateName(int section) const
{
    const int g = gateBlocks();
    if (g <= 1)
        return QString();
    const rnnscope::CellKind kind = m_session->weights().kind();
    const int block = section / m_session->dims().M;
    const std::vector<std::string> names = pytorch() ? rnnscope::pytorchGateNames(kind) : rnnscope::gateBlockNames(kind);
    return QString::fromStdString(names[static_cast<std::size_t>(block)]);
}

std::pair<int, int> MatrixTableModel::weightIndex(int row, int col) const
{
    // Session::setWeightValue takes the element of the parameter's matrix in Keras's layout.
    if (!m_spec || !pytorch())
        return {row, col};
    const auto [r, c] = rnnscope::kerasIndexOfPyTorch(*m_spec, m_session->weights().kind(), m_session->dims().M, row, col);
    return {static_cast<int>(r), static_cast<int>(c)};
}

double MatrixTableModel::value(int row, int col) const
{
    // As the model computes with it: a float32 model rounds what it holds to float.
    const rnnscope::DType dtype = m_session->config().dtype;
    const auto held = [dtype](double v) { return rnnscope::heldAs(v, dtype); };
    if (const auto id = weightId()) {
        const rnnscope::Weights &w = m_gradient ? m_session->gradients().dW : m_session->weights();
        const auto [r, c] = weightIndex(row, col);
        const auto [rows, cols] = rnnscope::paramMatrixShape(w, *id);
        if (r >= rows || c >= cols) // (a change of shape whose reset is on its way)
            return std::numeric_limits<double>::quiet_NaN();
        return held(rnnscope::weightAt(w, *id, r, c));
    }
    if (m_source == Source::Embedding) {
        const Eigen::MatrixXd &E = m_session->embeddingTable();
        return row < E.rows() && col < E.cols() ? held(E(row, col)) : std::numeric_limits<double>::quiet_NaN();
    }
    if (m_source == Source::Input)
        return held(m_session->model().inputValue(m_session->sample(), row, col));
    const rnnscope::Quantity q = quantity(); // Hidden: h_t or a recorded quantity
    return q == rnnscope::Quantity::Hidden ? m_session->hiddenValue(m_session->sample(), row, col)
                                           : m_session->model().quantityAt(q, m_session->sample(), row, col);
}

// ---------------------------------------------------------------- colours

ColorMap::Stats MatrixTableModel::rowStats(int first, int end) const
{
    ColorMap::Stats s;
    const int cols = columnCount();
    // X and H hold up to hundreds of millions of values: read them where they lie.
    const rnnscope::Model &model = m_session->model();
    const int n = m_session->sample();
    if (m_source == Source::Input) {
        const Eigen::MatrixXd &X = model.input(); // D × (T·N): row t of X[n] is one column
        const int N = model.dims().N;
        if (N == 1 && end > first) // rows first … end−1 lie one after the other
            s.add(X.col(first).data(), qsizetype(end - first) * cols);
        else
            for (int r = first; r < end; ++r)
                s.add(X.col(static_cast<Eigen::Index>(r) * N + n).data(), cols);
        return s;
    }
    if (m_source == Source::Hidden && quantity() == rnnscope::Quantity::Hidden) // kept per timestep by the model
        return model.hiddenSummary(n, first, end);
    for (int r = first; r < end; ++r) {
        for (int c = 0; c < cols; ++c) {
            s.add(value(r, c));
        }
    }
    return s;
}

const ColorMap::Stats &MatrixTableModel::stats() const
{
    if (!m_statsValid) {
        m_stats = rowStats(0, filledRows());
        m_statsValid = true;
    }
    return m_stats;
}

double MatrixTableModel::fixedScale() const
{
    if (m_fixedScale > 0)
        return m_fixedScale;
    if (m_source == Source::Hidden && m_session) {
        // A bounded activation bounds what it makes — h_t through the cell's activation, a gate
        // through σ, a candidate through the activation: their range is the honest scale, and it
        // does not jump. A pre-activation and an LSTM's c_t have no bound.
        const auto bounded = [](Activation a) {
            return a == Activation::Tanh || a == Activation::Sigmoid || a == Activation::HardSigmoid
                || a == Activation::HardSigmoidKeras2;
        };
        const rnnscope::ModelConfig &c = m_session->config();
        const rnnscope::Quantity q = quantity();
        if (q == rnnscope::Quantity::Pre || q == rnnscope::Quantity::CellState)
            return 0;
        const bool gate = rnnscope::gateBlock(q) >= 0 && rnnscope::usesRecurrentActivation(q);
        if (bounded(gate ? c.recurrent : c.cell))
            return 1.0;
    }
    return 0;
}

rnnscope::Quantity MatrixTableModel::quantity() const
{
    return m_quantity;
}

void MatrixTableModel::setQuantity(rnnscope::Quantity q)
{
    if (q == m_quantity)
        return;
    m_quantity = q;
    resetAll(); // (which falls back to h_t if the cell does not record q)
}

double MatrixTableModel::colorScale() const
{
    const double fixed = fixedScale();
    return fixed > 0 ? fixed : ColorMap::autoScale(stats());
}

void MatrixTableModel::setFixedScale(double scale)
{
    scale = std::isfinite(scale) && scale > 0 ? scale : 0;
    if (scale == m_fixedScale)
        return;
    m_fixedScale = scale;
    const int rows = rowCount(), cols = columnCount();
    if (rows > 0 && cols > 0)
        emit dataChanged(index(0, 0), index(rows - 1, cols - 1), {Qt::BackgroundRole, Qt::ForegroundRole});
}

// ---------------------------------------------------------------- text

namespace {

MatrixTableModel::Axis axisOf(rnnscope::ParamAxis a)
{
    using A = MatrixTableModel::Axis;
    switch (a) {
    case rnnscope::ParamAxis::InputFeature: return A::InputFeature;
    case rnnscope::ParamAxis::HiddenPrev: return A::HiddenPrev;
    case rnnscope::ParamAxis::HiddenNext: return A::HiddenNext;
    case rnnscope::ParamAxis::Hidden: return A::Hidden;
    case rnnscope::ParamAxis::Output: return A::Output;
    case rnnscope::ParamAxis::BiasRow: return A::BiasRow;
    case rnnscope::ParamAxis::Single: break;
    }
    return A::Single;
}

} // namespace

MatrixTableModel::Axis MatrixTableModel::rowAxis() const
{
    if (m_source == Source::Embedding)
        return Axis::Token;
    return m_spec ? axisOf(m_spec->rowAxisIn(layout())) : Axis::Time;
}

MatrixTableModel::Axis MatrixTableModel::columnAxis() const
{
    if (m_spec)
        return axisOf(m_spec->colAxisIn(layout()));
    return m_source == Source::Input || m_source == Source::Embedding ? Axis::InputFeature : Axis::Hidden;
}

QString MatrixTableModel::axisShort(Axis axis, int i) const
{
    const QString n = QString::number(i);
    switch (axis) {
    case Axis::InputFeature: return QStringLiteral("x[%1]").arg(n);
    case Axis::Hidden: return QStringLiteral("h[%1]").arg(n);
    case Axis::HiddenPrev: return QStringLiteral("h\u209C\u208B\u2081[%1]").arg(n); // hₜ₋₁[i]
    case Axis::HiddenNext: return QStringLiteral("h\u209C[%1]").arg(n);             // hₜ[j]
    case Axis::Output: return QStringLiteral("y[%1]").arg(n);
    case Axis::Time: // a backward direction reads x_{T−1−s} at its step s
        return m_source == Source::Input && m_session->readsBackwards() ? QStringLiteral("x_%1").arg(m_session->dims().T - 1 - i)
                                                                        : QStringLiteral("t = %1").arg(n);
    case Axis::Token: return QStringLiteral("id %1").arg(n);
    case Axis::BiasRow:
        return pytorch() ? (i == 0 ? QStringLiteral("bias_ih") : QStringLiteral("bias_hh"))
                         : (i == 0 ? QStringLiteral("input") : QStringLiteral("recurrent"));
    case Axis::Single:
        return pytorch() || !m_spec ? QStringLiteral("bias") : QString::fromStdString(m_spec->symbol);
    }
    return n;
}

QString MatrixTableModel::axisLong(Axis axis, int i) const
{
    const QString n = QString::number(i);
    switch (axis) {
    case Axis::InputFeature: return QStringLiteral("input feature %1").arg(n);
    case Axis::Hidden: return QStringLiteral("hidden unit %1").arg(n);
    case Axis::HiddenPrev: return QStringLiteral("hidden unit %1 at t\u22121").arg(n);
    case Axis::HiddenNext: return QStringLiteral("hidden unit %1 at t").arg(n);
    case Axis::Output: return QStringLiteral("output %1").arg(n);
    case Axis::Time:
        return m_source == Source::Input && m_session->readsBackwards()
                   ? QStringLiteral("step %1 reads x_%2 (backwards)").arg(n).arg(m_session->dims().T - 1 - i)
                   : QStringLiteral("timestep t = %1").arg(n);
    case Axis::Token: return QStringLiteral("token id %1").arg(n);
    case Axis::BiasRow: return i == 0 ? QStringLiteral("input bias") : QStringLiteral("recurrent bias");
    case Axis::Single: return pytorch() && m_spec ? QString::fromStdString(m_spec->pytorchName) : QStringLiteral("bias");
    }
    return n;
}

QString MatrixTableModel::axisLetter(Axis axis) const
{
    switch (axis) {
    case Axis::InputFeature:
        return m_source == Source::Input || m_source == Source::Embedding ? QStringLiteral("input feature d")
                                                                          : QStringLiteral("input feature i");
    case Axis::Hidden: return QStringLiteral("hidden unit j");
    case Axis::HiddenPrev: return QStringLiteral("h\u209C\u208B\u2081[i]");
    case Axis::HiddenNext: return QStringLiteral("h\u209C[j]");
    case Axis::Output: return QStringLiteral("output k");
    case Axis::Time: return QStringLiteral("timestep t");
    case Axis::Token: return QStringLiteral("token id v");
    case Axis::BiasRow: return pytorch() ? QStringLiteral("bias_ih | bias_hh") : QStringLiteral("input | recurrent bias");
    case Axis::Single: return QString();
    }
    return QString();
}

QString MatrixTableModel::title() const
{
    if (!m_session)
        return QString();
    const bool pt = pytorch();
    const int rows = rowCount(), cols = columnCount();
    const QString times(QChar(0x00D7));
    const QString matrixShape = QStringLiteral("(%1%2%3)").arg(rows).arg(times).arg(cols);
    if (m_spec) {
        // "Wx · kernel (3×20)" or "weight_ih_l0 (20×3)"; a bias as Keras shapes it, "bh · bias (20)",
        // "bh · bias (2, 15)" (PyTorch: "fc.bias (2)", "bias_ih_l0 | bias_hh_l0 (15×2)").
        const rnnscope::ParamSpec &p = *m_spec;
        QString name = pt ? QString::fromStdString(p.pytorchName)
                          : QStringLiteral("%1 \u00B7 %2").arg(QString::fromStdString(p.symbol), QString::fromStdString(p.role));
        if (m_gradient)
            name.prepend(QStringLiteral("dL/d"));
        if (p.dense && p.size() == 0)
            return name + QStringLiteral(" \u2014 no Dense layer (K = 0)");
        if (p.vector())
            return name + QStringLiteral(" (%1)").arg(p.cols);
        if (p.kerasName == "bias" && !pt) {
            QStringList dims;
            for (std::int64_t n : p.kerasShape)
                dims << QString::number(n);
            return name + QStringLiteral(" (%1)").arg(dims.join(QStringLiteral(", ")));
        }
        return name + QLatin1Char(' ') + matrixShape;
    }
    if (m_source == Source::Input)
        return QStringLiteral("X[n=%1] \u00B7 %2 ").arg(m_session->sample()).arg(m_session->inputName()) + matrixShape;
    if (m_source == Source::Embedding)
        return rows == 0 ? QStringLiteral("E \u00B7 embeddings \u2014 no Embedding layer")
                         : QStringLiteral("E \u00B7 embeddings ") + matrixShape;
    const rnnscope::Quantity q = quantity();
    if (q == rnnscope::Quantity::Hidden)
        return QStringLiteral("H[n=%1] \u00B7 hidden states h\u209C ").arg(m_session->sample()) + matrixShape;
    const QString symbol = QString::fromUtf8(rnnscope::quantitySymbol(q));
    return QStringLiteral("%1[n=%2] \u00B7 %3 %1\u209C ").arg(symbol).arg(m_session->sample())
               .arg(QLatin1String(rnnscope::quantityName(q)))
        + matrixShape;
}

QString MatrixTableModel::axesDescription() const
{
    if (!m_session)
        return QString();
    const Axis r = rowAxis(), c = columnAxis();
    if (gateBlocks() > 1) {
        // The gated axis holds gate · unit; a GRU's (2, 3M) bias has an input and a recurrent row.
        const QString gated = pytorch() ? QStringLiteral("gate (PyTorch order) · unit j") : QStringLiteral("gate · unit j");
        const QString other = axisLetter(pytorch() ? c : r);
        if (other.isEmpty())
            return pytorch() ? QStringLiteral("rows: %1 · one column").arg(gated) : QStringLiteral("one row · columns: %1").arg(gated);
        return pytorch() ? QStringLiteral("rows: %1 · columns: %2").arg(gated, other)
                         : QStringLiteral("rows: %1 · columns: %2").arg(other, gated);
    }
    if (r == Axis::Single)
        return QStringLiteral("one row \u00B7 columns: %1").arg(axisLetter(c));
    if (c == Axis::Single)
        return QStringLiteral("rows: %1 \u00B7 one column").arg(axisLetter(r));
    return QStringLiteral("rows: %1 \u00B7 columns: %2").arg(axisLetter(r), axisLetter(c));
}

QString MatrixTableModel::cellName(int row, int col) const
{
    if (m_spec) {
        // Keras: "Wx[1, 4]", a one-row bias by its index "bh[3]", a GRU's "bh[1, 3]". PyTorch:
        // "weight_ih_l0[4, 1]", "(bias_ih_l0 + bias_hh_l0)[3]", a GRU's bias by its two arrays,
        // "bias_hh_l0[3]".
        const rnnscope::ParamSpec &p = *m_spec;
        if (!pytorch())
            return p.rows == 1 && p.vector() ? QStringLiteral("%1[%2]").arg(QString::fromStdString(p.symbol)).arg(col)
                                             : QStringLiteral("%1[%2, %3]").arg(QString::fromStdString(p.symbol)).arg(row).arg(col);
        const QString name = QString::fromStdString(p.pytorchName);
        if (p.kerasName != "bias")
            return QStringLiteral("%1[%2, %3]").arg(name).arg(row).arg(col);
        const QStringList arrays = name.split(QStringLiteral(" | ")); // one per Keras row
        if (arrays.size() > 1)
            return QStringLiteral("%1[%2]").arg(arrays.value(col)).arg(row);
        return (name.contains(QLatin1Char(' ')) ? QStringLiteral("(%1)[%2]") : QStringLiteral("%1[%2]")).arg(name).arg(row);
    }
    if (m_source == Source::Embedding)
        return QStringLiteral("E[%1, %2]").arg(row).arg(col);
    if (m_source == Source::Input)
        return QStringLiteral("X[%1, %2, %3]").arg(m_session->sample()).arg(row).arg(col);
    const rnnscope::Quantity q = quantity();
    const QString name = q == rnnscope::Quantity::Hidden ? QStringLiteral("H") : QString::fromUtf8(rnnscope::quantitySymbol(q));
    return QStringLiteral("%1[%2, %3, %4]").arg(name).arg(m_session->sample()).arg(row).arg(col);
}

QString MatrixTableModel::cellDescription(int row, int col) const
{
    if (!m_session || row < 0 || row >= rowCount() || col < 0 || col >= columnCount())
        return QString();
    const QString name = cellName(row, col);
    if (!hasValue(row, col)) {
        const int p = m_session->position();
        return p < 0 ? QStringLiteral("%1: not computed yet (before the first step)").arg(name)
                     : QStringLiteral("%1: not computed yet (the step on show is t = %2)").arg(name).arg(p);
    }
    const QString v = ValueText::sentence(value(row, col));
    const auto [i, j] = weightIndex(row, col);
    if (m_source == Source::Embedding) {
        // "E[3, 1] = 0.0213 (token 3, feature 1): xₜ = E[idₜ]", and where the row is the token read
        // at the step on show, which sample and step read it.
        QString text = QStringLiteral("%1 = %2 (token %3, feature %4): x\u209C = E[id\u209C]").arg(name, v).arg(row).arg(col);
        if (row == currentRow())
            text += QStringLiteral("; sample %1 reads token %2 at the step on show").arg(m_session->sample()).arg(row);
        return text;
    }
    QString meaning;
    const int M = m_session->dims().M;
    const bool gated = gateBlocks() > 1;
    // The unit of a Keras gM index, with its gate: "unit 3 of gate f".
    const auto unitOf = [&](int k) {
        if (!gated)
            return QStringLiteral("hidden unit %1").arg(k);
        const std::vector<std::string> names = rnnscope::gateBlockNames(m_session->weights().kind());
        return QStringLiteral("unit %1 of gate %2").arg(k % M).arg(QString::fromStdString(names[static_cast<std::size_t>(k / M)]));
    };
    if (m_spec) {
        // From what the Keras row and column index: "input feature 1 → unit 3 of gate f", "bias of
        // output 0", "bias of unit 2 of gate h, recurrent bias".
        const auto side = [&](rnnscope::ParamAxis a, int k) {
            switch (a) {
            case rnnscope::ParamAxis::InputFeature: return QStringLiteral("input feature %1").arg(k);
            case rnnscope::ParamAxis::HiddenPrev: return QStringLiteral("hidden unit %1 at t\u22121").arg(k);
            case rnnscope::ParamAxis::HiddenNext: return gated ? unitOf(k) : QStringLiteral("hidden unit %1 at t").arg(k);
            case rnnscope::ParamAxis::Hidden: return unitOf(k);
            case rnnscope::ParamAxis::Output: return QStringLiteral("output %1").arg(k);
            case rnnscope::ParamAxis::BiasRow:
            case rnnscope::ParamAxis::Single: break;
            }
            return QString();
        };
        const QString from = side(m_spec->rowAxis, i), to = side(m_spec->colAxis, j);
        meaning = from.isEmpty() ? QStringLiteral("bias of %1").arg(to) : QStringLiteral("%1 \u2192 %2").arg(from, to);
        if (m_spec->rowAxis == rnnscope::ParamAxis::BiasRow)
            meaning += i == 0 ? QStringLiteral(", input bias") : QStringLiteral(", recurrent bias");
    } else if (m_source == Source::Input) {
        meaning = QStringLiteral("sample %1, timestep %2, input feature %3").arg(m_session->sample()).arg(row).arg(col);
    } else {
        meaning = quantity() == rnnscope::Quantity::Hidden
                      ? QStringLiteral("sample %1, timestep %2, hidden unit %3").arg(m_session->sample()).arg(row).arg(col)
                      : QStringLiteral("sample %1, timestep %2, unit %3 of the %4")
                            .arg(m_session->sample()).arg(row).arg(col)
                            .arg(QLatin1String(rnnscope::quantityName(quantity())));
    }
    if (pytorch() && m_spec) {
        const QString keras = QString::fromStdString(m_spec->symbol);
        meaning += m_spec->vector() ? QStringLiteral("; Keras %1[%2]").arg(keras).arg(j)
                                    : QStringLiteral("; Keras %1[%2, %3]").arg(keras).arg(i).arg(j);
    }
    return QStringLiteral("%1 = %2 (%3)").arg(name, v, meaning);
}

void MatrixTableModel::setLongRowHeaders(bool on)
{
    if (on == m_longRowHeaders)
        return;
    m_longRowHeaders = on;
    const int rows = rowCount();
    if (rows > 0)
        emit headerDataChanged(Qt::Vertical, 0, rows - 1);
}

// ---------------------------------------------------------------- roles

QVariant MatrixTableModel::data(const QModelIndex &index, int role) const
{
    if (!m_session || !index.isValid() || index.row() >= rowCount() || index.column() >= columnCount())
        return QVariant();
    const int row = index.row(), col = index.column();
    if (role == Qt::ToolTipRole)
        return cellDescription(row, col);
    if (role == CurrentRowRole)
        return row == currentRow();
    if (!hasValue(row, col))
        return QVariant();
    switch (role) {
    case Qt::DisplayRole: return ValueText::compact(value(row, col));
    case Qt::EditRole: return ValueText::full(value(row, col), m_session->config().dtype);
    case ValueRole: return value(row, col);
    case Qt::TextAlignmentRole: return int(Qt::AlignCenter);
    case Qt::BackgroundRole: return QBrush(ColorMap::color(value(row, col), colorScale()));
    case Qt::ForegroundRole:
        return QBrush(ColorMap::textColorFor(ColorMap::rgb(value(row, col), colorScale())));
    default: break;
    }
    return QVariant();
}

QVariant MatrixTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (!m_session || section < 0)
        return QVariant();
    const bool vertical = orientation == Qt::Vertical;
    if (section >= (vertical ? rowCount() : columnCount()))
        return QVariant();
    const Axis axis = vertical ? rowAxis() : columnAxis();
    if (gateBlocks() > 1 && orientation == gatedOrientation() && (role == Qt::DisplayRole || role == Qt::ToolTipRole)) {
        // A gate block's unit: "f[2]"; the tooltip says which gate of which layout.
        const int M = m_session->dims().M, unit = section % M;
        const QString name = gateName(section);
        if (role == Qt::DisplayRole)
            return QStringLiteral("%1[%2]").arg(name).arg(unit);
        return QStringLiteral("gate %1, unit %2 (%3 %4 of the %5 gate blocks)")
            .arg(name)
            .arg(unit)
            .arg(pytorch() ? QStringLiteral("PyTorch row") : QStringLiteral("Keras column"))
            .arg(section)
            .arg(gateBlocks());
    }
    switch (role) {
    case Qt::DisplayRole:
        return vertical && m_longRowHeaders && axis != Axis::HiddenPrev && axis != Axis::HiddenNext
                   && axis != Axis::Time && axis != Axis::BiasRow
            ? axisLong(axis, section)
            : axisShort(axis, section);
    case Qt::ToolTipRole: {
        const QString shortText = axisShort(axis, section), longText = axisLong(axis, section);
        return shortText == longText ? longText : QStringLiteral("%1 (%2)").arg(longText, shortText);
    }
    case Qt::TextAlignmentRole:
        return int(vertical ? (Qt::AlignRight | Qt::AlignVCenter) : Qt::AlignCenter);
    case Qt::FontRole:
        if (vertical && section == currentRow()) {
            QFont bold; // only the weight: the rest follows the header's font
            bold.setBold(true);
            return bold;
        }
        break;
    default: break;
    }
    return QVariant();
}

Qt::ItemFlags MatrixTableModel::flags(const QModelIndex &index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    if (isEditable() && hasValue(index.row(), index.column()))
        f |= Qt::ItemIsEditable;
    return f;
}

bool MatrixTableModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (role != Qt::EditRole || !m_session || !isEditable() || !index.isValid()
        || !hasValue(index.row(), index.column()))
        return false;
    const int row = index.row(), col = index.column();
    ValueText::Entry entry;
    if (value.typeId() == QMetaType::QString) {
        entry = ValueText::read(value.toString());
    } else {
        bool ok = false;
        const double d = value.toDouble(&ok);
        entry = ok ? ValueText::Entry{d, {}} : ValueText::read(value.toString());
    }
    if (!entry.value) {
        emit entryRefused(row, col, entry.note);
        m_session->reportEntry(QStringLiteral("%1: %2").arg(cellName(row, col), entry.note), true);
        return false;
    }
    // The session pushes an undoable command and emits weightsChanged / inputChanged, which
    // reaches this model's dataChanged.
    bool done = false;
    if (const auto id = weightId()) {
        const auto [r, c] = weightIndex(row, col);
        done = m_session->setWeightValue(*id, r, c, *entry.value);
    } else {
        done = m_session->setInputValue(m_session->sample(), row, col, *entry.value);
    }
    if (done && !entry.note.isEmpty())
        m_session->reportEntry(QStringLiteral("%1: %2").arg(cellName(row, col), entry.note), false);
    return done;
}

// ---------------------------------------------------------------- session signals

void MatrixTableModel::resetAll()
{
    beginResetModel();
    refreshSpec();
    // A quantity the cell (perhaps a new one) does not record falls back to h_t, once here rather
    // than at every value read.
    if (m_quantity != rnnscope::Quantity::Hidden && m_session) {
        const std::vector<rnnscope::Quantity> recorded = rnnscope::recordedQuantities(m_session->config().kind);
        if (std::find(recorded.begin(), recorded.end(), m_quantity) == recorded.end())
            m_quantity = rnnscope::Quantity::Hidden;
    }
    invalidateStats();
    m_shownRows = filledRows();
    m_shownCurrent = currentRow();
    m_shownShape = {rowCount(), columnCount()};
    m_valuesDirty = false;
    endResetModel();
}

void MatrixTableModel::setGradient(bool on)
{
    if (!weightId() || on == m_gradient)
        return;
    beginResetModel();
    m_gradient = on;
    invalidateStats();
    endResetModel();
}

void MatrixTableModel::valuesChanged()
{
    invalidateStats();
    const int rows = rowCount(), cols = columnCount();
    if (rows > 0 && cols > 0)
        emit dataChanged(index(0, 0), index(rows - 1, cols - 1));
}

void MatrixTableModel::onTableChanged()
{
    if (std::pair(rowCount(), columnCount()) != m_shownShape) {
        resetAll();
        return;
    }
    valuesChanged();
    onStepChanged(0); // (the token ids may have changed too)
}

void MatrixTableModel::onStepChanged(int)
{
    const int cols = columnCount();
    const int now = m_source == Source::Hidden ? filledRows() : m_shownRows;
    const int current = currentRow();
    int lo = std::numeric_limits<int>::max(), hi = -1;
    auto include = [&](int first, int last) {
        if (first <= last) {
            lo = std::min(lo, first);
            hi = std::max(hi, last);
        }
    };

    if (m_source == Source::Hidden) {
        if (m_valuesDirty) {
            // Weights or input changed: every computed row has new values.
            invalidateStats();
            include(0, std::max(now, m_shownRows) - 1);
        } else if (now != m_shownRows) {
            // A step: only the rows between the old and the new position changed…
            const bool known = m_statsValid;
            const double before = m_stats.maxAbs;
            // (A long jump leaves them to be counted when a view asks, which a hidden one does not.)
            if (now > m_shownRows && m_statsValid && now - m_shownRows <= kMergeRows)
                m_stats.merge(rowStats(m_shownRows, now));
            else
                invalidateStats();
            include(std::min(now, m_shownRows), std::max(now, m_shownRows) - 1);
            // … unless the automatic colour scale moved with them (relu, linear): then every
            // shown row takes new colours.
            if (!hasFixedScale() && (!known || stats().maxAbs != before))
                include(0, std::max(now, m_shownRows) - 1);
        }
    }
    // The marker of the step on show moves (Input and Hidden).
    const int oldCurrent = m_shownCurrent;
    if (current != oldCurrent) {
        if (oldCurrent >= 0)
            include(oldCurrent, oldCurrent);
        if (current >= 0)
            include(current, current);
    }

    m_shownRows = now;
    m_shownCurrent = current;
    m_valuesDirty = false;

    const int rows = rowCount();
    hi = std::min(hi, rows - 1);
    if (cols > 0 && lo <= hi)
        emit dataChanged(index(lo, 0), index(hi, cols - 1));
    if (current != oldCurrent) {
        const int a = std::min(oldCurrent, current), b = std::max(oldCurrent, current);
        if (b >= 0 && std::max(a, 0) < rows)
            emit headerDataChanged(Qt::Vertical, std::max(a, 0), std::min(b, rows - 1));
    }
}
