#pragma once
// DimensionsBar — the toolbars where a teacher sets the model: the sizes in this one,
//   cell▾ N T D M K
// the cell's options in optionsBar() and the numbers' in settingsBar(),
//   ☐return_sequences  activation▾ σ▾ ☐reset_after        float32▾  seed  init▾
// (σ, the recurrent activation, shows for an LSTM or a GRU; reset_after for a GRU). Beside
// return_sequences, the Layers menu edits the stack of recurrent layers: + layer (on top of the
// selected one), Remove layer, Move down, Move up, ☐Bidirectional with its merge_mode,
// ☐go_backwards. A network adds layersBar(), `layer 2 lstm_1 ▾  + layer`, the layer the views show;
// the cell, M, return_sequences and the activations above are that layer's, N, T, D and K the
// network's. The window
// places them side by side and wraps them onto further rows where they do not fit its width, so
// that no control goes into a toolbar's » menu.
// Each change goes to the Session at once; a refused one (a size out of range or over the memory
// budget) puts the spin box back to what the model has, and the session reports why. The size boxes
// take any whole number typed (no keystroke is dropped at a limit): −5 or 2000000 is refused
// under that value, not clamped into something nobody typed.

#include "nn/layer.h"

#include <QToolBar>

class QAction;
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
    QComboBox *cell() const { return m_cell; }
    QComboBox *recurrentActivation() const { return m_recurrent; }
    QCheckBox *resetAfter() const { return m_resetAfter; }
    // Whether the bar offers the recurrent activation (LSTM, GRU) and reset_after (GRU).
    bool offersRecurrentActivation() const { return m_recurrentAction->isVisible(); }
    bool offersResetAfter() const { return m_resetAfterAction->isVisible(); }
    QComboBox *init() const { return m_init; }
    QSpinBox *seed() const { return m_seed; }
    // The second and third toolbars, with the options (the window adds them beside this one).
    QToolBar *optionsBar() const { return m_options; }
    QToolBar *settingsBar() const { return m_settings; }
    QToolBar *layersBar() const { return m_layers; }
    QComboBox *layerChooser() const { return m_layer; }
    QAction *bidirectionalAction() const { return m_bidirectional; }
    QAction *mergeAction(rnnscope::Merge merge) const { return m_merge[static_cast<int>(merge)]; }
    QAction *goBackwardsAction() const { return m_goBackwards; }
    QAction *addLayerAction() const { return m_addLayer; }
    QAction *removeLayerAction() const { return m_removeLayer; }
    QAction *moveUpAction() const { return m_moveUp; }
    QAction *moveDownAction() const { return m_moveDown; }

signals:
    // Return (or Escape) in one of the bar's boxes: the box is done, the window's keys (Space, the
    // arrows, Home, End) drive playback again.
    void editingDone();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void syncFromModel();
    void buildLayersBar();
    void syncLayers();
    void dimEdited(int i); // m_dims[i] holds a value typed or stepped to
    void cellEdited();

    Session *m_session;
    QSpinBox *m_dims[5] = {};
    QCheckBox *m_returnSequences;
    QComboBox *m_activation;
    QComboBox *m_cell;
    QComboBox *m_recurrent;
    QCheckBox *m_resetAfter;
    QAction *m_recurrentAction = nullptr;
    QAction *m_recurrentLabel = nullptr;
    QAction *m_resetAfterAction = nullptr;
    QComboBox *m_dtype;
    QSpinBox *m_seed;
    QComboBox *m_init;
    QToolBar *m_options;
    QToolBar *m_settings;
    QToolBar *m_layers;
    QComboBox *m_layer = nullptr;
    QAction *m_bidirectional = nullptr;
    QAction *m_merge[4] = {};
    QAction *m_goBackwards = nullptr;
    QAction *m_addLayer = nullptr, *m_removeLayer = nullptr, *m_moveUp = nullptr, *m_moveDown = nullptr;
    bool m_syncing = false;
};
