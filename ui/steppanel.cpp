#include "steppanel.h"

#include "palette.h"
#include "session.h"

#include <QPainter>

using namespace rnnscope;

namespace {

QString dims2(int a, int b)
{
    return QStringLiteral("(%1×%2)").arg(a).arg(b);
}

QString sub(int t)
{
    return QString::number(t);
}

} // namespace

StepPanel::StepPanel(Session *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
{
    QSizePolicy policy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    policy.setHeightForWidth(true); // the lines wrap to the width (see layout)
    setSizePolicy(policy);
    connect(session, &Session::stepChanged, this, &StepPanel::rebuild);
    connect(session, &Session::sampleChanged, this, &StepPanel::rebuild);
    connect(session, &Session::structureChanged, this, &StepPanel::rebuild);
    connect(session, &Session::trainingChanged, this, &StepPanel::rebuild); // its float32 − float64 line
    rebuild();
}

QSize StepPanel::sizeHint() const
{
    const QFontMetrics fm(font());
    const int w = 70 * fm.averageCharWidth();
    return {w, std::max(11 * fm.lineSpacing(), heightForWidth(w))};
}

QSize StepPanel::minimumSizeHint() const
{
    // In a scroll area: as tall as its lines at the width it gets (heightForWidth); what does not
    // fit scrolls.
    const QFontMetrics fm(font());
    return {40 * fm.averageCharWidth(), 3 * fm.lineSpacing()};
}

QFont StepPanel::monoFont(bool bold) const
{
    QFont mono(QStringLiteral("DejaVu Sans Mono"));
    mono.setStyleHint(QFont::Monospace);
    mono.setPointSizeF(font().pointSizeF());
    mono.setBold(bold);
    return mono;
}

int StepPanel::heightOf(const QList<Visual> &lines) const
{
    // What paintEvent takes: a line each, half a line more after a line of shapes, a margin.
    const QFontMetrics fm(monoFont());
    int h = 2 * fm.averageCharWidth();
    for (const Visual &v : lines)
        h += fm.lineSpacing() + (v.kind == 1 ? fm.lineSpacing() / 2 : 0);
    return h;
}

int StepPanel::heightForWidth(int width) const
{
    return heightOf(layout(width));
}

QStringList StepPanel::visualLines(int width) const
{
    QStringList out;
    for (const Visual &v : layout(width))
        out << v.text;
    return out;
}

QList<StepPanel::Visual> StepPanel::layout(int width) const
{
    const QFontMetrics fm(monoFont(true)); // the bold header is the widest
    const int pad = QFontMetrics(monoFont()).averageCharWidth();
    const int columns = std::max(20, (width - 2 * pad) / std::max(1, fm.horizontalAdvance(QLatin1Char('0'))));
    const QString indent(4, QLatin1Char(' '));
    QList<Visual> out;
    // At the last space that keeps the line within `columns`, the rest indented; a word longer
    // than the line stays whole.
    const auto wrap = [&](QString text, int kind, int logical) {
        while (text.size() > columns) {
            qsizetype lead = 0;
            while (lead < text.size() && text[lead] == QLatin1Char(' '))
                ++lead;
            const qsizetype cut = text.lastIndexOf(QLatin1Char(' '), columns);
            if (cut <= lead)
                break;
            out.append({text.left(cut), kind, logical});
            text = indent + text.mid(cut + 1).trimmed();
        }
        out.append({text, kind, logical});
    };
    for (int i = 0; i < m_lines.size(); ++i) {
        const QString &text = m_lines[i];
        const int kind = m_lineKinds.value(i);
        if (text.size() <= columns && !(kind == 0 && i + 1 < m_lines.size() && m_lineKinds.value(i + 1) == 1
                                        && m_lines[i + 1].size() > columns)) {
            out.append({text, kind, i});
            continue;
        }
        const int at = m_valuesAt.value(i, -1);
        if (kind == 2 && at > 0) { // the label, then its numbers under it
            wrap(text.left(at).trimmed(), kind, i);
            wrap(indent + text.mid(at).trimmed(), kind, i);
            continue;
        }
        if (kind == 0 && i + 1 < m_lines.size() && m_lineKinds.value(i + 1) == 1 && !m_breaks.isEmpty()) {
            // The equation and its shapes break together between operands.
            const QString &shapes = m_lines[i + 1];
            const int length = int(std::max(text.size(), shapes.size()));
            const int lead = m_breaks.first();
            int start = 0;
            while (start < length) {
                const int room = columns - (start > 0 ? lead : 0);
                int end = length;
                if (end - start > room) {
                    end = -1;
                    for (int b : m_breaks)
                        if (b > start && b - start <= room)
                            end = b;
                    if (end < 0) // no operand fits: the next whole one
                        for (int b : m_breaks)
                            if (b > start && end < 0)
                                end = b;
                    if (end < 0)
                        end = length;
                }
                // Both rows cut at the same columns: every shape stays under its operand.
                const QString prefix = start > 0 ? QString(lead, QLatin1Char(' ')) : QString();
                const auto piece = [&](const QString &row) {
                    QString p = prefix + row.mid(start, end - start);
                    while (p.endsWith(QLatin1Char(' ')))
                        p.chop(1);
                    return p;
                };
                out.append({piece(text), 0, i});
                out.append({piece(shapes), 1, i + 1});
                start = end;
            }
            ++i;
            continue;
        }
        wrap(text, kind, i);
    }
    return out;
}

void StepPanel::rebuild()
{
    const Dims &d = m_session->dims();
    const ModelConfig &c = m_session->config();
    const int t = m_session->position();
    const QString act = QLatin1String(activationName(c.cell));
    m_lines.clear();
    m_lineKinds.clear();
    m_valuesAt.clear();
    m_breaks.clear();
    const auto add = [this](int kind, const QString &s, int valuesAt = -1) {
        m_lineKinds << kind;
        m_lines << s;
        m_valuesAt << valuesAt;
    };
    if (m_session->isNetwork())
        add(1, whereInNetwork());
    if (t < 0) {
        if (c.kind == CellKind::SimpleRNN)
            add(0, tr("Before the first step:  h_-1 = 0 %1.  Step forward (→) to compute h_0 = %2(x_0 · Wx + h_-1 · Wh + bh).")
                       .arg(dims2(d.N, d.M), act));
        else {
            QStringList gates;
            for (Quantity q : gateQuantities(c.kind))
                gates << QString::fromUtf8(quantitySymbol(q));
            add(0, tr("Before the first step:  %1 %2.  Step forward (→) to compute the gates %3 of t = 0.")
                       .arg(c.kind == CellKind::LSTM ? QStringLiteral("h_-1 = c_-1 = 0") : QStringLiteral("h_-1 = 0"),
                            dims2(d.N, d.M), gates.join(QStringLiteral(", "))));
        }
        add(1, tr("X %1 holds N=%2 sequences of T=%3 steps of D=%4 features; the cell has M=%5 hidden units.")
                   .arg(QStringLiteral("(%1, %2, %3)").arg(d.N).arg(d.T).arg(d.D))
                   .arg(d.N).arg(d.T).arg(d.D).arg(d.M));
        update();
        return;
    }
    if (c.kind != CellKind::SimpleRNN) {
        rebuildGated(t);
        return;
    }
    const QString ts = QString::number(t), tp = sub(t - 1);
    // The equation and, aligned under each operand, its shape.
    const QStringList ops = {QStringLiteral("x_%1 · Wx").arg(ts), QStringLiteral("+"), QStringLiteral("h_%1 · Wh").arg(tp),
                             QStringLiteral("+"), QStringLiteral("bh"), QStringLiteral("→ %1 →").arg(act),
                             QStringLiteral("h_%1").arg(ts)};
    const QStringList shapes = {dims2(d.N, d.D) + dims2(d.D, d.M), QString(), dims2(d.N, d.M) + dims2(d.M, d.M), QString(),
                                QStringLiteral("(%1)").arg(d.M), QString(), dims2(d.N, d.M)};
    QString eq = QStringLiteral("t = %1:  ").arg(ts), sh = QString(eq.size(), QLatin1Char(' '));
    for (int i = 0; i < ops.size(); ++i) {
        m_breaks << int(eq.size());
        const int w = std::max(ops[i].size(), shapes[i].size()) + 2;
        eq += ops[i].leftJustified(w);
        sh += shapes[i].leftJustified(w);
    }
    if (d.K > 0 && (c.returnSequences || t == d.T - 1)) {
        const QString yop = QStringLiteral("→ y_%1 = h_%1 · Wo + bo").arg(ts);
        const QString ysh = QStringLiteral("  ") + dims2(d.N, d.M) + dims2(d.M, d.K) + QStringLiteral(" + (%1) → ").arg(d.K)
            + dims2(d.N, d.K);
        const int w = std::max(yop.size(), ysh.size());
        m_breaks << int(eq.size());
        eq += yop.leftJustified(w);
        sh += ysh.leftJustified(w);
    }
    while (eq.endsWith(QLatin1Char(' ')))
        eq.chop(1);
    while (sh.endsWith(QLatin1Char(' ')))
        sh.chop(1);
    add(0, eq);
    add(1, sh);

    const int n = m_session->sample();
    const StepBreakdown b = stepBreakdown(const_cast<Model &>(m_session->model()), t, n);
    const auto row = &StepPanel::rowText;
    const QString samples = d.N > 1 ? tr("  (sample n=%1 of %2)").arg(n).arg(d.N) : QString();
    // The labels in one column as wide as the longest of them (t = 999999 makes them long).
    QList<std::pair<QString, QString>> lines = {
        {QStringLiteral("x_%1").arg(ts), row(b.x) + samples},
        {QStringLiteral("x_%1 · Wx").arg(ts), row(b.xWx)},
        {QStringLiteral("h_%1 · Wh").arg(tp), row(b.hWh)},
        {QStringLiteral("+ bh"), row(b.bh)},
        {QStringLiteral("= a_%1 (pre-activation)").arg(ts), row(b.pre)},
        {QStringLiteral("h_%1 = %2(a_%1)").arg(ts, act), row(b.h)},
    };
    if (d.K > 0)
        lines.append({QStringLiteral("y_%1 = h_%1·Wo + bo").arg(ts),
                      row(b.y) + (c.returnSequences || t == d.T - 1 ? QString() : tr("   (the model outputs y at t=%1 only)").arg(d.T - 1))});
    qsizetype w = 24;
    for (const auto &line : std::as_const(lines))
        w = std::max(w, line.first.size() + 1);
    for (const auto &[label, values] : std::as_const(lines))
        add(2, label.leftJustified(w) + values, int(w));
    addDtypeLine(t);
    updateGeometry();
    update();
}

QString StepPanel::whereInNetwork() const
{
    // Which layer and direction the step computes, and where it is in the network's schedule.
    const NetworkConfig &c = m_session->networkConfig();
    const int l = m_session->selectedLayer(), d = m_session->selectedDirection();
    const LayerSpec &layer = c.layers[static_cast<std::size_t>(l)];
    const QString name = QString::fromStdString(layerNames(c.layers)[static_cast<std::size_t>(l)]);
    const int t = m_session->position();
    QString direction = layer.bidirectional ? (d == 0 ? tr(", forward copy") : tr(", backward copy")) : QString();
    if (m_session->readsBackwards())
        direction += t >= 0 ? tr(": step %1 reads x_%2 (backwards)").arg(t).arg(c.T - 1 - t) : tr(": reads x_%1 … x_0").arg(c.T - 1);
    // Short enough for one line at the usual width: the step, the layer, its direction, its input.
    return tr("Step %1 of %2 · layer %3/%4 %5%6 · reads %7")
        .arg(std::max(0, m_session->scheduleIndex() + 1)).arg(m_session->scheduleLength()).arg(l + 1).arg(c.layerCount())
        .arg(name, direction, m_session->inputName(false));
}

void StepPanel::addDtypeLine(int t)
{
    const Session::DtypeDifference d = m_session->dtypeDifference(t);
    const auto e = [](double v) { return QString::number(v, 'e', 1); };
    QString text;
    if (!d.computed && m_session->training()) {
        text = tr("float32 − float64: shown when the training pauses");
    } else if (!d.computed) {
        text = tr("float32 − float64: not computed at this size (the model would be computed again in the other dtype)");
    } else {
        text = tr("float32 − float64:  max|Δh_%1| = %2 (sample %3),  over t ≤ %1 and every sample %4")
                   .arg(t)
                   .arg(e(d.step))
                   .arg(m_session->sample())
                   .arg(e(d.run));
        if (!std::isnan(d.output))
            text += tr(",  max|Δy_%1| = %2").arg(t).arg(e(d.output));
    }
    m_lineKinds << 3;
    m_lines << text;
    m_valuesAt << -1;
}

QString StepPanel::rowText(const Eigen::RowVectorXd &v)
{
    // Vectors longer than kMaxNumbers show their first kShownNumbers values and how many follow.
    const long shown = v.size() > kMaxNumbers ? long(kShownNumbers) : long(v.size());
    QString text = QString::fromStdString(formatRow(v.data(), shown, 4));
    if (shown < v.size())
        text.insert(text.size() - 1, QStringLiteral(" … +%1").arg(v.size() - shown));
    return text;
}

// An LSTM's or a GRU's step: the operands, then one line per gate, c_t, h_t and y_t — each
// `symbol = formula` with its numbers, and under it the shape of every operand.
void StepPanel::rebuildGated(int t)
{
    const Dims &d = m_session->dims();
    const ModelConfig &c = m_session->config();
    const int n = m_session->sample();
    const std::vector<WorkedLine> worked = workedStep(const_cast<Model &>(m_session->model()), t, n);
    const auto add = [this](int kind, const QString &s, int valuesAt = -1) {
        m_lineKinds << kind;
        m_lines << s;
        m_valuesAt << valuesAt;
    };
    add(0, tr("t = %1:  %2   (sample n=%3 of %4)")
               .arg(t)
               .arg(QString::fromStdString(describeCell(c.cellSpec(), d.M)))
               .arg(n)
               .arg(d.N));
    qsizetype w = 24;
    for (const WorkedLine &l : worked)
        if (!l.detail)
            w = std::max(w, QString::fromStdString(l.formula.empty() ? l.symbol : l.symbol + " = " + l.formula).size() + 2);
    for (const WorkedLine &l : worked) {
        if (l.detail)
            continue;
        const QString left = QString::fromStdString(l.formula.empty() ? l.symbol : l.symbol + " = " + l.formula);
        QString values = rowText(l.values);
        if (l.symbol.rfind("y_", 0) == 0 && !(c.returnSequences || t == d.T - 1))
            values += tr("   (the model outputs y at t=%1 only)").arg(d.T - 1);
        add(2, left.leftJustified(w) + values, int(w));
        if (!l.formula.empty())
            add(4, QStringLiteral("    ") + QString::fromStdString(l.shapes));
    }
    addDtypeLine(t);
    updateGeometry();
    update();
}

void StepPanel::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base));
    const QFont mono = monoFont(), bold = monoFont(true);
    const QFontMetrics fm(mono);
    const ViewPalette &pal = ViewPalette::current();
    const int pad = fm.averageCharWidth();
    int y = pad + fm.ascent();
    for (const Visual &v : layout(width())) {
        const int kind = v.kind;
        const QString &logical = m_lines[v.logical];
        p.setFont(kind == 0 ? bold : mono);
        p.setPen(kind == 1 || kind == 4 ? pal.shapeText : kind == 3 ? palette().color(QPalette::PlaceholderText)
                                                        : palette().color(QPalette::Text));
        if (kind == 2 && logical.contains(QLatin1String("pre-activation")))
            p.fillRect(QRect(0, y - fm.ascent(), width(), fm.height()), pal.computedFill);
        if (kind == 2 && (logical.startsWith(QLatin1String("h_")) || logical.startsWith(QLatin1String("c_")))
            && logical.contains(QLatin1Char('=')))
            p.fillRect(QRect(0, y - fm.ascent(), width(), fm.height()), pal.highlightFill);
        p.drawText(pad, y, v.text);
        y += fm.lineSpacing() + (kind == 1 ? fm.lineSpacing() / 2 : 0);
    }
}
