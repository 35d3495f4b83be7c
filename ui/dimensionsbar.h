#pragma once
// DimensionsBar — the toolbar where a teacher sets the model:
//   N T D M K  ☐return_sequences  activation▾  float32▾  seed  init▾  ⟳ weights  ⟳ input
// Each change goes to the Session at once; a refused one (a size over the memory budget) puts the
// spin box back to what the model has, and the session reports why.

#include <QToolBar>

class QCheckBox;
class QComboBox;
class QSpinBox;
class Session;

class DimensionsBar : public QToolBar {
    Q_OBJECT

public:
    explicit DimensionsBar(Session *session, QWidget *parent = nullptr);

    QSpinBox *spinBox(char symbol) const; // 'N', 'T', 'D', 'M', 'K'
    QCheckBox *returnSequences() const { return m_returnSequences; }
    QComboBox *dtype() const { return m_dtype; }
    QComboBox *activation() const { return m_activation; }
    QComboBox *init() const { return m_init; }
    QSpinBox *seed() const { return m_seed; }

private:
    void syncFromModel();
    void dimsEdited();

    Session *m_session;
    QSpinBox *m_dims[5] = {};
    QCheckBox *m_returnSequences;
    QComboBox *m_activation;
    QComboBox *m_dtype;
    QSpinBox *m_seed;
    QComboBox *m_init;
    bool m_syncing = false;
};
