#include "summaryview.h"

#include "run/summary.h"
#include "session.h"

#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

using namespace rnnscope;

SummaryView::SummaryView(Session *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_table(new QTableWidget(0, 3, this))
    , m_totals(new QLabel(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_table->setHorizontalHeaderLabels({tr("Layer (type)"), tr("Output Shape"), tr("Param #")});
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(2, QHeaderView::ResizeToContents); // three rows: cheap
    m_table->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_totals->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_table);
    layout->addWidget(m_totals);
    connect(session, &Session::structureChanged, this, &SummaryView::rebuild);
    rebuild();
}

QString SummaryView::totalsText() const
{
    return m_totals->text();
}

void SummaryView::rebuild()
{
    // A network lists every layer as Keras does; a one-layer model is a network of one.
    const Summary s = m_session->isNetwork() ? networkSummary(m_session->networkConfig()) : modelSummary(m_session->config());
    m_table->setRowCount(int(s.rows.size()));
    for (int i = 0; i < int(s.rows.size()); ++i) {
        const SummaryRow &r = s.rows[i];
        const auto item = [](const QString &text, Qt::Alignment align) {
            auto *it = new QTableWidgetItem(text);
            it->setTextAlignment(align | Qt::AlignVCenter);
            return it;
        };
        m_table->setItem(i, 0, item(QStringLiteral("%1 (%2)").arg(QString::fromStdString(r.name), QString::fromStdString(r.type)), Qt::AlignLeft));
        m_table->setItem(i, 1, item(QString::fromStdString(r.shape), Qt::AlignLeft));
        m_table->setItem(i, 2, item(QString::number(r.params), Qt::AlignRight));
    }
    const QString bytes = QString::fromStdString(kerasBytes(s.totalBytes));
    m_totals->setText(tr("Total params: %1 (%2, %3)\nTrainable params: %1\nNon-trainable params: 0")
                          .arg(s.totalParams)
                          .arg(bytes, QLatin1String(dtypeName(m_session->config().dtype))));
    const int rowsHeight = m_table->horizontalHeader()->height() + m_table->rowCount() * m_table->verticalHeader()->defaultSectionSize() + 4;
    m_table->setFixedHeight(rowsHeight);
}
