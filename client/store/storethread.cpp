#include "store/storethread.h"

namespace confab::client {

StoreThread::StoreThread(const QString &outboxPath, const QString &cachePath, const QString &name)
    : m_worker(new StoreWorker(outboxPath, cachePath, name))
{
    m_thread.setObjectName(QStringLiteral("confab-store"));
    m_worker->moveToThread(&m_thread);
    QObject::connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.start();
}

StoreThread::~StoreThread()
{
    // Everything posted so far still reaches the disk; then the connections close on
    // their own thread.
    call([](StoreWorker &w) { w.close(); });
    m_thread.quit();
    m_thread.wait();
}

bool StoreThread::open(QString *error)
{
    return call([error](StoreWorker &w) { return w.open(error); });
}

void StoreThread::drain()
{
    call([](StoreWorker &) {});
}

} // namespace confab::client
