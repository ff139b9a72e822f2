#include "plot.h"

#include <QImage>
#include <QPainter>
#include <QPainterPath>
#include <algorithm>
#include <cmath>
#include <functional>

namespace confab::bench {

using namespace Qt::StringLiterals;

namespace {

constexpr int kWidth = 1200;
constexpr int kHeight = 760;
constexpr int kLeft = 90;
constexpr int kRight = 30;

struct Line
{
    QString label;
    QColor color;
    std::function<double(const SecondStats &)> value;
};

// One panel: x is seconds since the load started, y linear or log10.
struct Panel
{
    QRectF area;
    double xMax = 1;
    double yMin = 0;
    double yMax = 1;
    bool log = false;

    double y(double v) const
    {
        const double lo = log ? std::log10(yMin) : yMin;
        const double hi = log ? std::log10(yMax) : yMax;
        const double t = log ? std::log10(std::max(v, yMin)) : v;
        return area.bottom() - (t - lo) / std::max(hi - lo, 1e-9) * area.height();
    }
    double x(double s) const { return area.left() + s / xMax * area.width(); }
};

// 1, 2 or 5 times a power of ten, at least `raw`.
double niceStep(double raw)
{
    const double magnitude = std::pow(10, std::floor(std::log10(std::max(raw, 1e-9))));
    for (const double m : {1.0, 2.0, 5.0, 10.0}) {
        if (m * magnitude >= raw)
            return m * magnitude;
    }
    return 10 * magnitude;
}

QString axisLabel(double v)
{
    if (v >= 1e6)
        return QString::number(v / 1e6, 'g', 3) + u"M"_s;
    if (v >= 1e3)
        return QString::number(v / 1e3, 'g', 3) + u"k"_s;
    return QString::number(v, 'g', 3);
}

void drawFrame(QPainter &p, const Panel &panel, const Report &r, const QString &title)
{
    const double warmup = r.options.warmup;
    const double end = warmup + r.options.duration;
    p.fillRect(
        QRectF(panel.x(0), panel.area.top(), panel.x(warmup) - panel.x(0), panel.area.height()),
        QColor(235, 235, 235));
    if (panel.xMax > end) {
        p.fillRect(QRectF(panel.x(end), panel.area.top(), panel.x(panel.xMax) - panel.x(end),
                          panel.area.height()),
                   QColor(245, 240, 230));
    }
    p.setPen(QColor(200, 200, 200));
    const double step = niceStep(panel.xMax / 10);
    for (double s = 0; s <= panel.xMax + 1e-9; s += step) {
        p.drawLine(QPointF(panel.x(s), panel.area.top()), QPointF(panel.x(s), panel.area.bottom()));
        p.setPen(Qt::black);
        p.drawText(QRectF(panel.x(s) - 30, panel.area.bottom() + 4, 60, 16), Qt::AlignCenter,
                   QString::number(s, 'g', 4));
        p.setPen(QColor(200, 200, 200));
    }
    std::vector<double> ticks;
    if (panel.log) {
        for (double v = std::pow(10, std::floor(std::log10(panel.yMin))); v <= panel.yMax * 1.001;
             v *= 10)
            ticks.push_back(v);
    } else {
        for (int i = 0; i <= 5; ++i)
            ticks.push_back(panel.yMin + (panel.yMax - panel.yMin) * i / 5);
    }
    for (const double v : ticks) {
        if (v < panel.yMin)
            continue;
        p.setPen(QColor(200, 200, 200));
        p.drawLine(QPointF(panel.area.left(), panel.y(v)), QPointF(panel.area.right(), panel.y(v)));
        p.setPen(Qt::black);
        p.drawText(QRectF(0, panel.y(v) - 8, kLeft - 8, 16), Qt::AlignRight | Qt::AlignVCenter,
                   axisLabel(v));
    }
    p.setPen(Qt::black);
    p.drawRect(panel.area);
    p.drawText(QRectF(panel.area.left(), panel.area.top() - 22, panel.area.width(), 20),
               Qt::AlignLeft | Qt::AlignVCenter, title);
}

void drawLines(QPainter &p, const Panel &panel, const std::vector<SecondStats> &series,
               const QList<Line> &lines)
{
    double legendX = panel.area.right() - 140.0 * lines.size();
    for (const Line &line : lines) {
        QPainterPath path;
        bool started = false;
        for (size_t i = 0; i < series.size(); ++i) {
            const double v = line.value(series[i]);
            if (panel.log && v <= 0) {
                started = false; // no sample this second: leave a gap
                continue;
            }
            const QPointF point(panel.x(double(i) + 0.5), panel.y(v));
            started ? path.lineTo(point) : path.moveTo(point);
            started = true;
        }
        p.setPen(QPen(line.color, 2));
        p.drawPath(path);
        p.fillRect(QRectF(legendX, panel.area.top() - 14, 14, 4), line.color);
        p.setPen(Qt::black);
        p.drawText(QRectF(legendX + 18, panel.area.top() - 22, 120, 20),
                   Qt::AlignLeft | Qt::AlignVCenter, line.label);
        legendX += 140;
    }
}

double maxOf(const std::vector<SecondStats> &series, const QList<Line> &lines)
{
    double m = 0;
    for (const SecondStats &s : series) {
        for (const Line &l : lines)
            m = std::max(m, l.value(s));
    }
    return m;
}

// The smallest positive value (1 when there is none), for the bottom of a log axis.
double minOf(const std::vector<SecondStats> &series, const QList<Line> &lines)
{
    double m = 0;
    for (const SecondStats &s : series) {
        for (const Line &l : lines) {
            const double v = l.value(s);
            if (v > 0 && (m == 0 || v < m))
                m = v;
        }
    }
    return m > 0 ? m : 1;
}

QList<Line> rateLines(const Report &r)
{
    if (r.options.scenario == Scenario::Connect)
        return {{u"connects/s"_s, QColor(30, 120, 180), [](const SecondStats &s) {
                     return double(s.connects);
                 }}};
    return {
        {u"deliveries/s"_s, QColor(30, 120, 180),
         [](const SecondStats &s) {
             return double(s.deliveries);
         }},
        {u"acks/s"_s, QColor(220, 120, 20),
         [](const SecondStats &s) {
             return double(s.acks);
         }},
        {u"sends/s"_s, QColor(60, 160, 60),
         [](const SecondStats &s) {
             return double(s.sends);
         }},
    };
}

QList<Line> throughputLines(const Report &r)
{
    QList<Line> lines = rateLines(r);
    const auto &series = r.stats.series;
    const bool errors = std::any_of(series.begin(), series.end(),
                                    [](const SecondStats &s) { return s.errors > 0; });
    if (errors) {
        lines.append({u"errors/s"_s, QColor(200, 40, 40), [](const SecondStats &s) {
                          return double(s.errors);
                      }});
    }
    return lines;
}

} // namespace

bool writePlot(const Report &report, const QString &file, QString *error)
{
    QImage image(kWidth, kHeight, QImage::Format_RGB32);
    image.fill(Qt::white);
    QPainter p(&image);
    p.setRenderHint(QPainter::Antialiasing);
    const std::vector<SecondStats> &series = report.stats.series;
    const double xMax = std::max<double>(1, double(series.size()));
    const Scenario scenario = report.options.scenario;
    const QString what = scenario == Scenario::Idle      ? u"ping round trip"_s
                         : scenario == Scenario::Connect ? u"handshake latency"_s
                                                         : u"delivery latency"_s;
    p.setFont(QFont(u"DejaVu Sans"_s, 11, QFont::Bold));
    p.drawText(QRectF(kLeft, 8, kWidth - kLeft - kRight, 24), Qt::AlignLeft,
               u"confab-bench %1 -> %2: %3 clients, %4 %5, rate %6/s, payload %7 B"_s
                   .arg(scenarioName(report.options.scenario), report.target)
                   .arg(report.options.clients)
                   .arg(report.options.rooms)
                   .arg(report.options.rooms == 1 ? u"room"_s : u"rooms"_s)
                   .arg(QString::number(report.options.rate, 'g', 4))
                   .arg(report.options.payload));
    p.setFont(QFont(u"DejaVu Sans"_s, 9));

    const QList<Line> latency = {
        {u"p50"_s, QColor(30, 120, 180),
         [](const SecondStats &s) {
             return s.latency.percentile(50) / 1000.0;
         }},
        {u"p99"_s, QColor(220, 120, 20),
         [](const SecondStats &s) {
             return s.latency.percentile(99) / 1000.0;
         }},
        {u"max"_s, QColor(200, 40, 40),
         [](const SecondStats &s) {
             return s.latency.max() / 1000.0;
         }},
    };
    Panel top{QRectF(kLeft, 70, kWidth - kLeft - kRight, 280), xMax, 0.01, 1, true};
    top.yMax = std::pow(10, std::ceil(std::log10(std::max(1.0, maxOf(series, latency) * 1.5))));
    top.yMin = std::max(0.01, std::pow(10, std::floor(std::log10(minOf(series, latency)))));
    drawFrame(p, top, report, what + u" per second, ms (log)"_s);
    drawLines(p, top, series, latency);

    const QList<Line> rates = throughputLines(report);
    // Log scale: deliveries are often a thousand times the sends.
    Panel bottom{QRectF(kLeft, 430, kWidth - kLeft - kRight, 280), xMax, 1, 10, true};
    bottom.yMax = std::pow(10, std::ceil(std::log10(std::max(10.0, maxOf(series, rates) * 1.5))));
    drawFrame(p, bottom, report, u"per second, log (grey: warm-up, beige: drain)"_s);
    drawLines(p, bottom, series, rates);
    p.drawText(QRectF(kLeft, kHeight - 26, kWidth - kLeft - kRight, 20), Qt::AlignCenter,
               u"seconds since the load started"_s);
    p.end();
    if (!image.save(file, "PNG")) {
        *error = u"cannot write %1"_s.arg(file);
        return false;
    }
    return true;
}

} // namespace confab::bench
