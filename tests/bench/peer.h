#pragma once

#include <QProcess>
#include <QString>
#include <QUrl>
#include <memory>

// The reference peer: tests/bench/peers/broadcast-server.js on Node's `ws`, started
// by the harness on a free loopback port. `npm install` runs in the peers directory the
// first time (node_modules is never committed).
namespace confab::bench {

class PeerProcess
{
public:
    PeerProcess();
    ~PeerProcess();
    PeerProcess(const PeerProcess &) = delete;
    PeerProcess &operator=(const PeerProcess &) = delete;

    // Installs the dependencies when needed, starts the server and waits for its port.
    bool start(QString *error);
    void stop();
    QUrl url() const;
    qint64 pid() const;

    // Where the peers live: $CONFAB_BENCH_PEERS_DIR, else the source tree's copy.
    static QString peersDir();

private:
    bool ensureInstalled(QString *error);

    std::unique_ptr<QProcess> m_process;
    quint16 m_port = 0;
};

} // namespace confab::bench
