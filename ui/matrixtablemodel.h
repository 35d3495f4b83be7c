#pragma once
// MatrixTableModel — one matrix of a Session as a Qt table model.
//
// Sources and their shapes (Keras layout | PyTorch layout), g the cell's gate blocks (1, 4, 3):
//
//   Wx      kernel            (D, gM) rows input feature i, columns gate·unit     | weight_ih_l0 (gM, D) = Wxᵀ
//   Wh      recurrent_kernel  (M, gM) rows hₜ₋₁[i], columns gate·unit            | weight_hh_l0 (gM, M) = Whᵀ
//   bh      bias              (1, gM) one row; a GRU with reset_after (2, 3M)    | bias_ih_l0 + bias_hh_l0 (gM, 1);
//                                                                                  a GRU's bias_ih | bias_hh (3M, 2)
// A gated cell's gM axis holds its gate blocks in Keras's order (LSTM i | f | c | o, GRU z | r | h)
// and, in the PyTorch layout, in PyTorch's (LSTM i | f | g | o, GRU r | z | n): headers name the
// gate and the unit ("f[2]"), and gateBoundary() tells the views where to draw a separator.
//   Wo      Dense kernel      (M, K)  rows hidden unit j, columns output k         | fc.weight (K, M) = Woᵀ
//   bo      Dense bias        (1, K)  one row                                      | fc.bias (K, 1), one column
//   Input   X of the selected sample n: (T, D), rows t, columns feature d (both layouts)
//   Hidden  h_t of the selected sample n: (T, M); rows t > position() are empty (not computed yet);
//           or another quantity the cell records (setQuantity): f_t, c_t, …
//   Embedding  E, the table of a network's Keras Embedding (V, D): rows token id v, columns input
//           feature d (x_t = E[id_t]); read-only; 0×0 without an Embedding. Its current row is the
//           token the selected sample reads at the step on show.
//
// Roles: DisplayRole a compact text ("0.213", "−1.05", "NaN", "+Inf", "−Inf"); EditRole the value
// in full (shortest round-trip) precision as text ("0.21268504858016968", "nan", "-inf"), both as
// ValueText writes them, of the value as the model's dtype holds it (float32: 1e39 is +Inf);
// ToolTipRole a sentence ("Wx[1, 4] = 0.212685 (input feature 1 → hidden unit 4)"); ValueRole the
// double; BackgroundRole / ForegroundRole the heat-map colours. Empty cells (Hidden past the step
// on show) return an invalid QVariant for every role but the tooltip.
//
// Edits (setData with text as ValueText::read reads it) go to Session::setWeightValue or
// Session::setInputValue, hence onto the session's undo stack; text that is not a number is refused
// with the reason (entryRefused, and the session's errorOccurred), a note on what reading did
// ("1e-400" is 0 after underflow) goes to the session's notice.
//
// Signals follow the session's: a change of shape (structureChanged, layoutChanged for weights,
// sampleChanged for Input/Hidden) resets the model; a change of values (weightsChanged,
// inputChanged, stepChanged for Hidden) emits ONE dataChanged over the rows that changed — the
// whole matrix after an edit, only the rows between the old and the new step when Hidden steps.
// Embedding follows the network (weightsChanged, networkChanged: a reset when its shape changed)
// and moves its current row with stepChanged, sampleChanged and inputChanged.
// The session must outlive the model, or the model becomes empty when the session is destroyed.

#include "colormap.h"
#include "nn/weights.h"
#include "run/model.h"

#include <QAbstractTableModel>
#include <QString>

#include <optional>

class Session;

class MatrixTableModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum class Source { Wx, Wh, bh, Wo, bo, Input, Hidden, Embedding };

    enum Role {
        ValueRole = Qt::UserRole + 1, // double; invalid for an empty cell
        CurrentRowRole,               // bool: the row of the timestep on show (Input, Hidden), of its token (Embedding)
    };

    MatrixTableModel(Session *session, Source source, QObject *parent = nullptr);
    ~MatrixTableModel() override;

    Session *session() const { return m_session; }
    Source source() const { return m_source; }
    // The weight this model edits; nullopt for Input, Hidden and Embedding.
    std::optional<rnnscope::WeightId> weightId() const;
    // Whether cells can be edited (all sources but Hidden and Embedding, and a weight's gradient).
    bool isEditable() const { return m_source != Source::Hidden && m_source != Source::Embedding && !m_gradient; }
    // A weight's view shows dL/dW (Session::gradients(), in the same layout) instead of W:
    // read-only, titled "dL/dWx · kernel (3×5)", following every change of the weights or X.
    void setGradient(bool on);
    bool gradient() const { return m_gradient; }
    // What Hidden shows: h_t (the default) or any quantity the cell records — a SimpleRNN's a_t,
    // an LSTM's gates i, f, g, o and c_t, a GRU's z, r, h̃ — as (T, M) for the selected sample.
    // A quantity the cell does not record falls back to h_t. Resets the model.
    void setQuantity(rnnscope::Quantity q);
    rnnscope::Quantity quantity() const;
    // What an index along an axis stands for (public for the helpers of the .cpp).
    enum class Axis { InputFeature, Hidden, HiddenPrev, HiddenNext, Output, Time, BiasRow, Single, Token };

    // --- QAbstractTableModel ---
    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role = Qt::EditRole) override;

    // --- direct access for painting (no QVariant) ---

    // Rows 0 … filledRows()−1 hold values: all rows, except for Hidden, where rows past the
    // step on show are empty.
    int filledRows() const;
    bool hasValue(int row, int col) const { return row >= 0 && row < filledRows() && col >= 0 && col < columnCount(); }
    // The value of a filled cell (row < filledRows()).
    double value(int row, int col) const;
    // The row of the timestep on show (Input, Hidden), of the token read there (Embedding), or −1.
    int currentRow() const;

    // Stats of the filled cells (max |finite|, NaN and ±Inf counts): computed once after each
    // reset or change of values, on first use.
    const ColorMap::Stats &stats() const;
    // The scale of the colour map: the fixed scale when one is set (Hidden with tanh or sigmoid
    // uses 1, the activation's range), else the max |finite value| (1 when that is 0).
    double colorScale() const;
    bool hasFixedScale() const { return fixedScale() > 0; }
    // A fixed colour scale (> 0), or 0 for the automatic one.
    void setFixedScale(double scale);

    // The gate blocks of this matrix (1 unless it is Wx, Wh or bh of an LSTM or a GRU), and whether a
    // block starts at `section` (> 0) of the gated axis — the columns in Keras's layout, the rows in
    // PyTorch's.
    int gateBlocks() const;
    Qt::Orientation gatedOrientation() const;
    bool gateBoundary(Qt::Orientation orientation, int section) const;
    // The gate's name of `section` on the gated axis ("i", "f", "c", "o"; PyTorch "g" for c, GRU "r", "z", "n").
    QString gateName(int section) const;

    // "Wx · kernel (3×5)", "weight_ih_l0 (5×3)", "X · sample 0 (10×3)", …: name and current shape.
    QString title() const;
    // What rows and columns index: "rows: input feature i · columns: hidden unit j".
    QString axesDescription() const;
    // What a cell is: "Wx[1, 4] = 0.212685 (input feature 1 → hidden unit 4)".
    QString cellDescription(int row, int col) const;

    // Vertical headers in the long form ("input feature 0", "hidden unit 0", "t = 0") instead of
    // the short one ("x[0]", "h[0]"). Column headers are always short; tooltips always long.
    void setLongRowHeaders(bool on);
    bool longRowHeaders() const { return m_longRowHeaders; }

signals:
    // Text typed into cell (row, col) was refused, `why` says why ("“abc” is not a number: …"); the
    // session reports it too. The view shows it at the cell and keeps the editor open.
    void entryRefused(int row, int col, const QString &why);

private:
    Axis rowAxis() const;
    Axis columnAxis() const;
    bool pytorch() const;
    QString cellName(int row, int col) const;  // "Wx[1, 4]", "weight_ih_l0[4, 1]", "X[0, 3, 1]"
    QString axisShort(Axis axis, int i) const;
    QString axisLong(Axis axis, int i) const;
    QString axisLetter(Axis axis) const;       // "input feature i", for axesDescription
    // The weight index (row, col as Session::setWeightValue takes it) of a cell.
    std::pair<int, int> weightIndex(int row, int col) const;
    rnnscope::Layout layout() const;
    void refreshSpec();
    double fixedScale() const;
    ColorMap::Stats rowStats(int first, int end) const; // rows [first, end)

    void resetAll();
    void valuesChanged();
    void onStepChanged(int t);
    void onTableChanged(); // Embedding: new values, or a new shape
    void invalidateStats() { m_statsValid = false; }

    Session *m_session = nullptr;
    Source m_source;
    rnnscope::Quantity m_quantity = rnnscope::Quantity::Hidden;
    std::optional<rnnscope::ParamSpec> m_spec; // the parameter on show (weights only), see refreshSpec()
    double m_fixedScale = 0;
    bool m_longRowHeaders = false;
    bool m_gradient = false;

    mutable ColorMap::Stats m_stats;
    mutable bool m_statsValid = false;

    // Hidden/Input: what the views were last told about the step on show.
    int m_shownRows = 0;        // Hidden: filled rows at the last notification
    int m_shownCurrent = -1;    // the current row at the last notification
    bool m_valuesDirty = true;  // Hidden: values changed since the last stepChanged
    std::pair<int, int> m_shownShape{0, 0}; // rows and columns at the last reset
};
