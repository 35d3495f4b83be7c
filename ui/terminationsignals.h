#pragma once
// TerminationSignals — SIGTERM (logout, `kill`), SIGINT (Ctrl+C in the terminal that started
// rnnscope) and SIGHUP (that terminal closed) as Qt signals, so that the window ends as at a
// normal close instead of dying where it stands: its lock and temporary files go, and unsaved
// changes stay in the autosaved copy, offered at the next start.
//
// A handler may do almost nothing, so it only writes the signal's number to a socket pair
// (the "self-pipe" of Unix programs); the event loop reads it and emits received(). Install
// once per process, from the thread of the event loop.

#include <QObject>

class QSocketNotifier;

class TerminationSignals : public QObject {
    Q_OBJECT

public:
    explicit TerminationSignals(QObject *parent = nullptr);
    ~TerminationSignals() override; // restores the default actions

    // Whether the handlers are in place (false when the socket pair could not be made).
    bool installed() const { return m_notifier != nullptr; }

signals:
    void received(int signal);

private:
    QSocketNotifier *m_notifier = nullptr;
};
