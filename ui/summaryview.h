#pragma once
// SummaryView — the Keras-style model summary (Layer (type) | Output Shape | Param #) with the
// totals and their size in the current dtype, following every change of the model.

#include <QWidget>

class QLabel;
class QTableWidget;
class Session;

class SummaryView : public QWidget {
    Q_OBJECT

public:
    explicit SummaryView(Session *session, QWidget *parent = nullptr);

    QTableWidget *table() const { return m_table; }
    QString totalsText() const;

private:
    void rebuild();

    Session *m_session;
    QTableWidget *m_table;
    QLabel *m_totals;
};
