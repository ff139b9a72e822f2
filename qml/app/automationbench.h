#pragma once

#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <functional>

class QQuickWindow;
class QQuickItem;
class QTimer;

namespace confab::app {

class FrameStats;

// The benchmark commands of the automation socket, answered when the measurement ends:
//   openRoom {room}          ms from asking for the room to the swap of the first frame
//                            whose timeline fills the view (or holds all the room's rows)
//   fling {seconds, velocity} flicks the timeline towards older messages for a while;
//                            frame work and interval percentiles (FrameStats)
//                            ({screenshot: path} saves the window halfway through)
//   jump {seq}               ms from asking the open room to jump to a message to the
//                            swap of the first frame that shows it there (marked)
//   renderInfo               the render loop (threaded or not), OpenGL renderer, size
//   latencyStart / latencyStop  ms from each text event of someone else reaching the app
//                            (the core has added its row) to the swap of the first frame
//                            prepared after it; also each one's monotonic-clock times
class AutomationBench : public QObject
{
    Q_OBJECT

public:
    using Reply = std::function<void(const QJsonObject &)>;
    AutomationBench(QQuickWindow *window, std::function<QQuickItem *()> timeline,
                    QObject *parent = nullptr);
    ~AutomationBench() override;

    static bool handles(const QString &command);
    void run(const QJsonObject &command, Reply reply);

private:
    void openRoom(const QString &roomId, Reply reply);
    void jump(qint64 seq, Reply reply);
    // Runs start, then answers with the ms to the swap of the first frame that ready()
    // held for as it began (checked as each frame starts).
    void timeToFrame(const std::function<bool()> &ready, const std::function<void()> &start,
                     const QString &timeoutError, Reply reply);
    void fling(double seconds, double velocity, const QString &screenshot, Reply reply);
    QJsonObject latencyStart();
    QJsonObject latencyStop();

    QPointer<QQuickWindow> m_window;
    std::function<QQuickItem *()> m_timeline;
    FrameStats *m_stats;
    QMetaObject::Connection m_arrivals;
};

} // namespace confab::app
