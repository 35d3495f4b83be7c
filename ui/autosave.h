#pragma once
// Autosave — a copy of the session on disk while it has unsaved changes, so that a crash, a power
// cut or a `kill -9` loses nothing.
//
// Each window owns one slot in the autosave directory (defaultDirectory(): the application's data
// directory, ~/.local/share/rnnscope/rnnscope/autosave on Linux):
//   <id>.lock          a QLockFile held while the window runs; once its process is gone it is stale
//   <id>.json          the session, as a rnnscope session file (everything on screen), written atomically
//   <id>.origin.json   {"file": the file it came from or "", "session": whether that is a session
//                      file, "change": the last change's name}, written atomically after it
// A change (of the model through the undo stack, the timestep, the sample, the layout, or
// whatever the window reports through schedule()) starts a 1.5 s timer that each further change
// restarts, but never past 10 s after the first: playback keeps its copy fresh too. The state is
// copied on the UI thread and encoded and written on a worker thread. When the session has no
// unsaved changes (saved, or undone back to where it was saved) the slot's files go, and so do
// they when the window closes normally (discard()).
//
// At the next start orphans() lists the slots whose process is gone; the window offers to restore
// the newest (MainWindow::offerRecovery).

#include "io/sessionfile.h"

#include <QDateTime>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

class BackgroundJob;
class QLockFile;
class QTimer;
class Session;

class Autosave : public QObject {
    Q_OBJECT

public:
    // What a process left behind. The orphan's lock is held by whoever called orphans(), so that
    // two windows starting at once do not both restore it.
    struct Orphan {
        QString id;
        QString sessionPath;          // <id>.json
        QString origin;               // the file the session came from ("" when drawn from a seed)
        bool originIsSession = false; // whether Save writes back to `origin`
        QString change;               // the last change's name ("Edit Wh[2, 3]")
        QDateTime saved;              // when it was written
        std::shared_ptr<QLockFile> lock;
    };

    // `view` gives the window's view choices for the session file.
    Autosave(Session *session, std::function<rnnscope::SessionView()> view, const QString &directory,
             QObject *parent = nullptr);
    ~Autosave() override; // waits for a write in progress; leaves the files (a normal close calls discard())

    static QString defaultDirectory();
    // Slots of processes that are gone, newest first; their locks are now held by the caller.
    static QList<Orphan> orphans(const QString &directory);
    // Removes what windows that are gone left besides their copies: temporary files of a write
    // that was cut short, lock files with no copy. (At start, before orphans().)
    static void removeLeftovers(const QString &directory);
    // Removes an orphan's files (the caller holds its lock).
    static void remove(const Orphan &orphan);

    QString directory() const { return m_dir; }
    QString sessionPath() const; // this window's <id>.json
    // Debounce in milliseconds (default 1500) and the longest a change waits (default 10 s).
    void setDelays(int debounceMs, int maxWaitMs);

    // Whether the session has changes that are not in a saved file.
    bool hasUnsavedChanges() const;
    // The last reason the copy could not be written ("" when it was).
    QString lastError() const { return m_lastError; }

public slots:
    // Something on screen changed: write a copy soon (nothing when there are no unsaved changes).
    void schedule();
    // Writes the copy now and waits for it (or removes it when nothing is unsaved). Returns false
    // when it could not be written.
    bool flush();
    // Removes this window's copy (a normal close, or the changes were saved or discarded).
    void discard();

signals:
    void written(const QString &path);
    // The copy could not be written: a one-line reason (shown once per kind of failure).
    void failed(const QString &message);

private:
    void write(bool wait);
    void writeDone(bool ok, const QString &error);
    void removeFiles();

    Session *m_session;
    std::function<rnnscope::SessionView()> m_view;
    QString m_dir;
    QString m_id;
    std::unique_ptr<QLockFile> m_lock;
    QTimer *m_debounce = nullptr;
    QTimer *m_deadline = nullptr;
    BackgroundJob *m_job = nullptr;
    bool m_pending = false;  // a change arrived while a copy was being written
    bool m_onDisk = false;   // this window's copy exists
    QString m_lastError;
    // Written by the worker, read in writeDone.
    QString m_workerError;
    bool m_workerWroteSession = false;
};
