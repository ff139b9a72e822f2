#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QHostAddress>
#include <QString>
#include <memory>
#include <vector>

class QSocketNotifier;
class QTcpSocket;

// The byte stream under a BenchClient. Plain ws:// runs on RawSocket: a non-blocking
// descriptor in its worker's own epoll set (Poller), read once per readiness into one
// large buffer that the client's FrameReader takes apart in place, written once per
// loop pass with everything the client queued in it. wss:// runs on QSslSocket
// (QtTransport). Neither calls back from abort(); every other end is reported.
namespace confab::bench {

class BenchClient;
class Poller;

class Transport
{
public:
    virtual ~Transport() = default;
    // Starts connecting (from source, when not null). A failure may be reported before
    // it returns (BenchClient::onSocketError with neverConnected).
    virtual void open(const QString &hostName, const QHostAddress &address, quint16 port,
                      const QHostAddress &source) = 0;
    virtual bool isConnected() const = 0;
    // Queued; goes out at the end of the loop pass (RawSocket) or when Qt writes it.
    virtual void write(QByteArrayView bytes) = 0;
    // Writes what is queued, then closes; onDisconnected follows (at once when nothing
    // was left to write).
    virtual void disconnectFromHost() = 0;
    // Closes at once, queued bytes dropped; reports nothing.
    virtual void abort() = 0;
};

// One worker's epoll set of RawSockets, itself one descriptor in the worker thread's
// event dispatcher: one dispatcher event per loop pass however many sockets are ready,
// and no QSocketNotifier per connection.
class Poller
{
public:
    Poller();
    ~Poller();
    Poller(const Poller &) = delete;
    Poller &operator=(const Poller &) = delete;

    // Writes every socket's queued bytes, one send() each; the worker calls it when its
    // thread is about to wait.
    void flushWrites();
    // Read calls so far.
    qint64 reads() const { return m_reads; }

private:
    friend class RawSocket;
    int addSlot(class RawSocket *socket);
    void control(int op, int fd, quint32 events, quint64 tag);
    void markDirty(class RawSocket *socket);
    void onReady();

    int m_epoll = -1;
    std::unique_ptr<QSocketNotifier> m_notifier;
    std::vector<class RawSocket *> m_slots;
    std::vector<class RawSocket *> m_dirty;
    std::unique_ptr<char[]> m_buffer;
    qint64 m_reads = 0;
    qint64 m_passUs = 0; // coarse monotonic time of the current batch
};

class RawSocket : public Transport
{
public:
    RawSocket(Poller *poller, BenchClient *client);
    ~RawSocket() override;

    void open(const QString &hostName, const QHostAddress &address, quint16 port,
              const QHostAddress &source) override;
    bool isConnected() const override { return m_state == State::Connected; }
    void write(QByteArrayView bytes) override;
    void disconnectFromHost() override;
    void abort() override;

private:
    friend class Poller;
    enum class State { Closed, Connecting, Connected };
    static constexpr qint64 kQuickAckNever = qint64(1) << 60;

    void events(quint32 events);
    // Sends what is queued; false when it could not all go (EPOLLOUT is then armed).
    bool sendQueued();
    void setInterest(bool out);
    void closeFd();
    void failConnect(int error);
    void lost(int error);

    Poller *m_poller;
    BenchClient *m_client;
    int m_slot;
    int m_fd = -1;
    quint32 m_generation = 0;
    qint64 m_quickAckUs = -kQuickAckNever;
    State m_state = State::Closed;
    bool m_outArmed = false;
    bool m_dirty = false;
    bool m_closeWhenSent = false;
    QByteArray m_out;
};

// QTcpSocket or (wss://) QSslSocket, for what RawSocket does not do.
class QtTransport : public Transport
{
public:
    QtTransport(BenchClient *client, bool tls, bool insecure);
    ~QtTransport() override;

    void open(const QString &hostName, const QHostAddress &address, quint16 port,
              const QHostAddress &source) override;
    bool isConnected() const override;
    void write(QByteArrayView bytes) override;
    void disconnectFromHost() override;
    void abort() override;

private:
    BenchClient *m_client;
    bool m_tls;
    bool m_insecure;
    bool m_silent = false; // inside abort(): Qt's signals are not the client's business
    std::unique_ptr<QTcpSocket> m_socket;
};

// The client error key of an errno from connect(), bind(), read() or send().
QString errnoKey(int error);

} // namespace confab::bench
