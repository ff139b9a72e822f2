#include "filebench.h"

#include "body.h"

#include <QBuffer>
#include <QImage>
#include <QImageWriter>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>
#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace confab::bench {

using namespace Qt::StringLiterals;

namespace {

constexpr qint64 kSendBlock = 1 << 20;   // made, hashed and sent at a time
constexpr qint64 kRecvBlock = 256 << 10; // read and hashed at a time
constexpr int kIoTimeoutS = 300;         // a blocking send or recv that long is a failure
constexpr qint64 kMaxHead = 64 << 10;

quint64 splitmix64(quint64 x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

void raiseTo(std::atomic<qint64> &slot, qint64 value)
{
    qint64 seen = slot.load();
    while (value > seen && !slot.compare_exchange_weak(seen, value)) {
    }
}

// One request on one connection, blocking, as the server serves them (it closes after
// its answer).
class HttpConnection
{
public:
    ~HttpConnection()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }

    bool open(const HttpEndpoint &e, QString *error)
    {
        sockaddr_storage addr{};
        socklen_t len = 0;
        if (e.address.protocol() == QAbstractSocket::IPv6Protocol) {
            auto *a6 = reinterpret_cast<sockaddr_in6 *>(&addr);
            a6->sin6_family = AF_INET6;
            a6->sin6_port = htons(e.port);
            const Q_IPV6ADDR v6 = e.address.toIPv6Address();
            std::memcpy(&a6->sin6_addr, &v6, sizeof v6);
            len = sizeof(sockaddr_in6);
        } else {
            auto *a4 = reinterpret_cast<sockaddr_in *>(&addr);
            a4->sin_family = AF_INET;
            a4->sin_port = htons(e.port);
            a4->sin_addr.s_addr = htonl(e.address.toIPv4Address());
            len = sizeof(sockaddr_in);
        }
        m_fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (m_fd < 0) {
            *error = u"http:socket"_s;
            return false;
        }
        timeval tv{kIoTimeoutS, 0};
        ::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(m_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        const int one = 1;
        ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        while (::connect(m_fd, reinterpret_cast<sockaddr *>(&addr), len) != 0) {
            if (errno == EINTR)
                continue;
            *error = u"http:connect:%1"_s.arg(QString::fromLatin1(strerrorname_np(errno)));
            return false;
        }
        return true;
    }

    bool sendAll(const char *p, qint64 n, QString *error)
    {
        while (n > 0) {
            const ssize_t sent = ::send(m_fd, p, size_t(n), MSG_NOSIGNAL);
            if (sent < 0 && errno == EINTR)
                continue;
            if (sent <= 0) {
                *error = errno == EAGAIN ? u"http:timeout"_s : u"http:send"_s;
                return false;
            }
            p += sent;
            n -= sent;
        }
        return true;
    }

    // Up to max bytes of what follows the head; 0 at the end, -1 on an error.
    qint64 readSome(char *out, qint64 max, QString *error)
    {
        if (!m_pending.isEmpty()) {
            const qint64 n = std::min<qint64>(max, m_pending.size());
            std::memcpy(out, m_pending.constData(), size_t(n));
            m_pending.remove(0, n);
            return n;
        }
        for (;;) {
            const ssize_t n = ::recv(m_fd, out, size_t(max), 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                *error = errno == EAGAIN ? u"http:timeout"_s : u"http:recv"_s;
                return -1;
            }
            return n;
        }
    }

    bool readHead(QString *error)
    {
        QByteArray buffer;
        char chunk[16384];
        for (;;) {
            const qsizetype end = buffer.indexOf("\r\n\r\n");
            if (end >= 0) {
                m_pending = buffer.mid(end + 4);
                const QList<QByteArray> lines = buffer.left(end).split('\n');
                m_status = lines.value(0).trimmed().split(' ').value(1).toInt();
                for (qsizetype i = 1; i < lines.size(); ++i) {
                    const qsizetype colon = lines[i].indexOf(':');
                    if (colon > 0)
                        m_headers.insert(lines[i].left(colon).trimmed().toLower(),
                                         lines[i].mid(colon + 1).trimmed());
                }
                return m_status > 0;
            }
            if (buffer.size() > kMaxHead) {
                *error = u"http:bad-head"_s;
                return false;
            }
            const ssize_t n = ::recv(m_fd, chunk, sizeof chunk, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                *error = n == 0 ? u"http:closed"_s
                                : (errno == EAGAIN ? u"http:timeout"_s : u"http:recv"_s);
                return false;
            }
            buffer.append(chunk, n);
        }
    }

    // A small body (JSON): Content-Length bytes, or up to the close.
    QByteArray readBody(QString *error)
    {
        bool ok = false;
        const qint64 length = header("content-length").toLongLong(&ok);
        QByteArray body;
        char chunk[16384];
        while (!ok || body.size() < length) {
            const qint64 n = readSome(chunk, sizeof chunk, error);
            if (n <= 0)
                break;
            body.append(chunk, n);
        }
        return body;
    }

    int status() const { return m_status; }
    QByteArray header(const QByteArray &lowerName) const { return m_headers.value(lowerName); }

private:
    int m_fd = -1;
    int m_status = 0;
    QHash<QByteArray, QByteArray> m_headers;
    QByteArray m_pending;
};

QByteArray requestHead(const HttpEndpoint &e, const QByteArray &method, const QByteArray &target,
                       const QString &token)
{
    return method + ' ' + target + " HTTP/1.1\r\nHost: " + e.host.toUtf8() + ':' +
           QByteArray::number(e.port) + "\r\nAuthorization: Bearer " + token.toLatin1() + "\r\n";
}

// After a failed send the server may have answered already (413, 401, ...): say that.
QString statusOrError(HttpConnection &c, const QString &error)
{
    QString ignored;
    if (c.readHead(&ignored))
        return u"http:status-%1"_s.arg(c.status());
    return error;
}

} // namespace

Sha256::Sha256()
    : m_ctx(EVP_MD_CTX_new())
{
    EVP_DigestInit_ex(static_cast<EVP_MD_CTX *>(m_ctx), EVP_sha256(), nullptr);
}

Sha256::~Sha256()
{
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX *>(m_ctx));
}

void Sha256::add(const char *data, qint64 size)
{
    EVP_DigestUpdate(static_cast<EVP_MD_CTX *>(m_ctx), data, size_t(size));
}

QString Sha256::hex()
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(static_cast<EVP_MD_CTX *>(m_ctx), digest, &length);
    return QString::fromLatin1(
        QByteArray(reinterpret_cast<const char *>(digest), int(length)).toHex());
}

FileContent FileContent::random(quint64 seed, qint64 size)
{
    FileContent c;
    c.m_seed = seed;
    c.m_size = size;
    return c;
}

FileContent FileContent::encoded(QByteArray bytes)
{
    FileContent c;
    c.m_size = bytes.size();
    c.m_bytes = std::move(bytes);
    return c;
}

void FileContent::read(qint64 offset, char *out, qint64 n) const
{
    if (!m_bytes.isEmpty() || m_size == 0) {
        std::memcpy(out, m_bytes.constData() + offset, size_t(n));
        return;
    }
    qint64 word = offset / 8;
    qint64 skip = offset % 8;
    while (n > 0) {
        const quint64 v = splitmix64(m_seed ^ (quint64(word) * 0xd1342543de82ef95ULL));
        const qint64 take = std::min<qint64>(8 - skip, n);
        std::memcpy(out, reinterpret_cast<const char *>(&v) + skip, size_t(take));
        out += take;
        n -= take;
        skip = 0;
        ++word;
    }
}

QByteArray FileContent::makeImage(const QString &format, int width, int height, quint64 seed)
{
    QImage image(width, height, QImage::Format_RGB32);
    if (image.isNull())
        return {};
    // Large smooth shapes (what a photo's sky and walls are) under a little noise per
    // pixel (sensor grain), so the encoder has about a photo's work.
    quint64 state = seed;
    for (int y = 0; y < height; ++y) {
        auto *line = reinterpret_cast<QRgb *>(image.scanLine(y));
        for (int x = 0; x < width; ++x) {
            if ((x & 7) == 0)
                state = splitmix64(state);
            const int grain = int((state >> ((x & 7) * 8)) & 0x1f) - 16;
            const int r = (x * 255 / width + grain) & 0xff;
            const int g = (y * 255 / height + grain / 2) & 0xff;
            const int b = ((x + y) * 127 / (width + height) + 64 + grain) & 0xff;
            line[x] = qRgb(r, g, b);
        }
    }
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QImageWriter writer(&buffer, format.toLatin1());
    writer.setQuality(90);
    if (!writer.write(image))
        return {};
    return bytes;
}

UploadOutcome uploadFile(const HttpEndpoint &to, const QString &token, const QString &name,
                         const FileContent &content, qint64 chunkBytes)
{
    UploadOutcome out;
    out.startUs = nowUs();
    const qint64 size = content.size();
    {
        HttpConnection c;
        if (!c.open(to, &out.error))
            return out;
        const QByteArray head = requestHead(to, "POST", "/uploads", token) +
                                "Upload-Length: " + QByteArray::number(size) +
                                "\r\nUpload-Name: " + QUrl::toPercentEncoding(name) + "\r\n\r\n";
        if (!c.sendAll(head.constData(), head.size(), &out.error) || !c.readHead(&out.error))
            return out;
        const QByteArray body = c.readBody(&out.error);
        if (c.status() != 201) {
            out.error = u"http:status-%1"_s.arg(c.status());
            return out;
        }
        out.id = QJsonDocument::fromJson(body).object().value("id"_L1).toString();
        if (out.id.isEmpty()) {
            out.error = u"http:json"_s;
            return out;
        }
    }
    Sha256 sha;
    std::unique_ptr<char[]> block(new char[size_t(kSendBlock)]);
    qint64 offset = 0;
    for (;;) {
        const qint64 n = chunkBytes > 0 ? std::min(chunkBytes, size - offset) : size - offset;
        HttpConnection c;
        if (!c.open(to, &out.error))
            return out;
        const QByteArray head =
            requestHead(to, "PATCH", "/uploads/" + out.id.toLatin1(), token) +
            "Upload-Offset: " + QByteArray::number(offset) +
            "\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: " +
            QByteArray::number(n) + "\r\n\r\n";
        if (!c.sendAll(head.constData(), head.size(), &out.error)) {
            out.error = statusOrError(c, out.error);
            return out;
        }
        for (qint64 at = offset; at < offset + n;) {
            const qint64 take = std::min(kSendBlock, offset + n - at);
            content.read(at, block.get(), take);
            sha.add(block.get(), take);
            if (!c.sendAll(block.get(), take, &out.error)) {
                out.error = statusOrError(c, out.error);
                return out;
            }
            at += take;
            out.bytes += take;
        }
        offset += n;
        if (offset >= size)
            out.bodyEndUs = nowUs();
        if (!c.readHead(&out.error))
            return out;
        const QByteArray body = c.readBody(&out.error);
        if (c.status() == 204 && offset < size) {
            if (c.header("upload-offset").toLongLong() != offset) {
                out.error = u"files:offset"_s;
                return out;
            }
            continue;
        }
        if (c.status() != 201 || offset < size) {
            out.error = u"http:status-%1"_s.arg(c.status());
            return out;
        }
        const QJsonObject file = QJsonDocument::fromJson(body).object().value("file"_L1).toObject();
        if (file.value("id"_L1).toString() != out.id ||
            qint64(file.value("size"_L1).toDouble(-1)) != size) {
            out.error = u"files:file-object"_s;
            return out;
        }
        out.thumb = file.value("thumb"_L1).toString();
        out.mime = file.value("mime"_L1).toString();
        break;
    }
    out.sha256 = sha.hex();
    out.endUs = nowUs();
    return out;
}

DownloadOutcome downloadFile(const HttpEndpoint &from, const QString &token, const QString &id)
{
    DownloadOutcome out;
    out.startUs = nowUs();
    HttpConnection c;
    if (!c.open(from, &out.error))
        return out;
    const QByteArray head = requestHead(from, "GET", "/files/" + id.toLatin1(), token) + "\r\n";
    if (!c.sendAll(head.constData(), head.size(), &out.error) || !c.readHead(&out.error))
        return out;
    out.status = c.status();
    if (out.status != 200) {
        out.error = u"http:status-%1"_s.arg(out.status);
        return out;
    }
    bool ok = false;
    out.contentLength = c.header("content-length").toLongLong(&ok);
    if (!ok)
        out.contentLength = -1;
    QByteArray etag = c.header("etag");
    if (etag.size() >= 2 && etag.startsWith('"') && etag.endsWith('"'))
        etag = etag.mid(1, etag.size() - 2);
    out.etag = QString::fromLatin1(etag);
    Sha256 sha;
    std::unique_ptr<char[]> block(new char[size_t(kRecvBlock)]);
    while (out.contentLength < 0 || out.bytes < out.contentLength) {
        const qint64 want = out.contentLength < 0
                                ? kRecvBlock
                                : std::min(kRecvBlock, out.contentLength - out.bytes);
        const qint64 n = c.readSome(block.get(), want, &out.error);
        if (n < 0)
            return out;
        if (n == 0)
            break;
        sha.add(block.get(), n);
        out.bytes += n;
    }
    if (out.contentLength >= 0 && out.bytes < out.contentLength) {
        out.error = u"http:cut"_s;
        return out;
    }
    out.sha256 = sha.hex();
    out.endUs = nowUs();
    return out;
}

void FileReport::merge(const FileReport &o)
{
    uploads += o.uploads;
    downloads += o.downloads;
    verified += o.verified;
    thumbnails += o.thumbnails;
    bytesUp += o.bytesUp;
    bytesDown += o.bytesDown;
    upload.merge(o.upload);
    finish.merge(o.finish);
    download.merge(o.download);
    hashMismatch += o.hashMismatch;
    etagMismatch += o.etagMismatch;
    sizeMismatch += o.sizeMismatch;
    failures += o.failures;
    for (auto it = o.errors.cbegin(); it != o.errors.cend(); ++it)
        errors[it.key()] += it.value();
    if (mime.isEmpty())
        mime = o.mime;
}

void FileReport::countError(const QString &key)
{
    ++failures;
    ++errors[key];
}

FileLoad::FileLoad(const Options &options, HttpEndpoint endpoint, std::vector<QString> tokens)
    : m_options(options)
    , m_endpoint(std::move(endpoint))
    , m_tokens(std::move(tokens))
    , m_slots(m_tokens.size())
{
}

FileLoad::~FileLoad()
{
    m_stop = true;
    for (std::thread &t : m_threads) {
        if (t.joinable())
            t.join();
    }
}

bool FileLoad::prepareContent(QString *error)
{
    if (m_options.fileContent == u"random"_s)
        return true;
    m_encoded = FileContent::makeImage(m_options.fileContent, m_options.imageWidth,
                                       m_options.imageHeight, 0x5eed);
    if (m_encoded.isEmpty()) {
        *error = u"cannot encode a %1 image of %2 x %3"_s.arg(m_options.fileContent)
                     .arg(m_options.imageWidth)
                     .arg(m_options.imageHeight);
        return false;
    }
    return true;
}

FileContent FileLoad::contentFor(int client, int n) const
{
    if (!m_encoded.isEmpty())
        return FileContent::encoded(m_encoded);
    // Different per run, client and transfer (the server keeps equal content once).
    const quint64 run = qHash(m_options.runId, 0x9e37);
    return FileContent::random(splitmix64(run ^ splitmix64(quint64(client) << 32 | quint32(n))),
                               m_options.fileBytes);
}

QString FileLoad::nameFor(int client, int n) const
{
    const QString ext = m_encoded.isEmpty()                  ? u"bin"_s
                        : m_options.fileContent == u"jpeg"_s ? u"jpg"_s
                                                             : m_options.fileContent;
    return u"bench-%1-%2-%3.%4"_s.arg(m_options.runId).arg(client).arg(n).arg(ext);
}

bool FileLoad::prepareShared(QString *error)
{
    if (m_tokens.empty())
        return false;
    const FileContent content = contentFor(0, 0);
    const UploadOutcome u =
        uploadFile(m_endpoint, m_tokens[0], nameFor(0, 0), content, m_options.chunkBytes);
    Slot slot;
    recordUpload(slot, u);
    m_preparation = slot.report;
    if (!u.error.isEmpty()) {
        *error = u"the shared file's upload failed: "_s + u.error;
        return false;
    }
    m_preparation.upSeconds = double(u.endUs - u.startUs) / 1e6;
    m_sharedId = u.id;
    m_sharedSha = u.sha256;
    m_sharedMime = u.mime;
    return true;
}

void FileLoad::recordUpload(Slot &slot, const UploadOutcome &u)
{
    FileReport &r = slot.report;
    if (!u.error.isEmpty()) {
        r.countError(u.error);
        return;
    }
    ++r.uploads;
    r.bytesUp += u.bytes;
    r.upload.record(u.endUs - u.startUs);
    r.finish.record(u.endUs - u.bodyEndUs);
    if (r.mime.isEmpty())
        r.mime = u.mime;
    slot.uploaded.push_back(u);
    raiseTo(m_lastUploadEndUs, u.endUs);
    ++m_done;
    m_bytes += u.bytes;
}

void FileLoad::verifyDownload(Slot &slot, const DownloadOutcome &d, qint64 size, const QString &sha,
                              bool thumbnail)
{
    FileReport &r = slot.report;
    if (!d.error.isEmpty()) {
        r.countError(thumbnail ? u"thumbnail:"_s + d.error : d.error);
        return;
    }
    if (thumbnail) {
        // Its upload's hash is the server's own; the ETag must be what arrived.
        if (d.etag != d.sha256 || (d.contentLength >= 0 && d.bytes != d.contentLength))
            ++r.etagMismatch;
        else
            ++r.thumbnails;
        return;
    }
    ++r.downloads;
    r.bytesDown += d.bytes;
    r.download.record(d.endUs - d.startUs);
    const bool sizeOk = d.bytes == size;
    const bool hashOk = d.sha256 == sha;
    const bool etagOk = d.etag == sha;
    r.sizeMismatch += sizeOk ? 0 : 1;
    r.hashMismatch += hashOk ? 0 : 1;
    r.etagMismatch += etagOk ? 0 : 1;
    r.verified += sizeOk && hashOk && etagOk ? 1 : 0;
    raiseTo(m_lastDownloadEndUs, d.endUs);
    ++m_done;
    m_bytes += d.bytes;
}

void FileLoad::phaseBoundary()
{
    std::unique_lock lock(m_phaseMutex);
    if (++m_phaseWaiting == int(m_tokens.size())) {
        m_phaseUs = nowUs();
        m_phaseChanged.notify_all();
        return;
    }
    m_phaseChanged.wait(lock, [this] { return m_phaseWaiting == int(m_tokens.size()); });
}

void FileLoad::runClient(int client)
{
    Slot &slot = m_slots[size_t(client)];
    const QString &token = m_tokens[size_t(client)];
    const bool upload = m_options.fileMode == FileMode::Upload;
    const int transfers = m_options.transfers;
    auto readBack = [&](const UploadOutcome &u) {
        verifyDownload(slot, downloadFile(m_endpoint, token, u.id), u.bytes, u.sha256, false);
        if (!u.thumb.isEmpty())
            verifyDownload(slot, downloadFile(m_endpoint, token, u.thumb), -1, {}, true);
    };
    if (!upload) {
        for (int n = 0; (transfers == 0 && !m_stop) || n < transfers; ++n)
            verifyDownload(slot, downloadFile(m_endpoint, token, m_sharedId), m_preparation.bytesUp,
                           m_sharedSha, false);
        return;
    }
    if (transfers == 0) {
        for (int n = 0; !m_stop; ++n) {
            const UploadOutcome u = uploadFile(m_endpoint, token, nameFor(client, n),
                                               contentFor(client, n), m_options.chunkBytes);
            recordUpload(slot, u);
            if (u.error.isEmpty())
                readBack(u);
        }
        return;
    }
    for (int n = 0; n < transfers; ++n)
        recordUpload(slot, uploadFile(m_endpoint, token, nameFor(client, n), contentFor(client, n),
                                      m_options.chunkBytes));
    phaseBoundary();
    for (const UploadOutcome &u : slot.uploaded)
        readBack(u);
}

void FileLoad::start()
{
    m_startUs = nowUs();
    m_running = int(m_tokens.size());
    for (size_t c = 0; c < m_tokens.size(); ++c) {
        m_threads.emplace_back([this, c] {
            runClient(int(c));
            m_running.fetch_sub(1);
        });
    }
}

FileReport FileLoad::finish()
{
    for (std::thread &t : m_threads)
        t.join();
    m_threads.clear();
    FileReport total = m_preparation;
    for (const Slot &s : m_slots)
        total.merge(s.report);
    total.fileBytes = m_encoded.isEmpty() ? m_options.fileBytes : m_encoded.size();
    total.sharedId = m_sharedId;
    total.sharedSha256 = m_sharedSha;
    if (!m_sharedMime.isEmpty())
        total.mime = m_sharedMime;
    const bool phases = m_options.fileMode == FileMode::Upload && m_options.transfers > 0;
    if (m_options.fileMode == FileMode::Upload && m_lastUploadEndUs > m_startUs)
        total.upSeconds = double(m_lastUploadEndUs - m_startUs) / 1e6;
    const qint64 downFrom = phases ? m_phaseUs : m_startUs;
    if (m_lastDownloadEndUs > downFrom && downFrom > 0)
        total.downSeconds = double(m_lastDownloadEndUs - downFrom) / 1e6;
    return total;
}

} // namespace confab::bench
