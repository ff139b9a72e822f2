// Session protocol side: hello and authentication, request dispatch, replay on resume,
// history reads and rate limits.
#include "auth/credentials.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/seqbook.h"
#include "logging.h"
#include "net/ioworker.h"
#include "net/session.h"
#include "search/searchquery.h"
#include "store/reader.h"
#include "store/writer.h"

#include <QDateTime>
#include <QPointer>
#include <QThreadPool>
#include <cmath>

namespace confab::server {

using namespace Qt::StringLiterals;
using protocol::CloseCode;
using protocol::ErrorCode;

namespace {
constexpr int kHelloStrikes = 3;
constexpr int kReadWaitMs = 10000;
constexpr qsizetype kMaxBacklogForHistory = 1000;

// Runs fn on the session's thread if the session still exists by then.
void backToSession(IoWorker *worker, quint64 id, std::function<void(Session *)> fn)
{
    postTo(worker, [worker, id, fn = std::move(fn)] { worker->withSession(id, fn); });
}
} // namespace

void Session::handleText(const QByteArray &payload)
{
    protocol::ClientDecodeResult decoded =
        protocol::decodeClientMessage(payload, m_ctx->config.limits);
    if (m_state == State::Hello || m_state == State::Authenticating) {
        const bool isHello =
            decoded.ok() && std::holds_alternative<protocol::Hello>(*decoded.message);
        if (isHello && m_state == State::Hello) {
            startAuth(std::get<protocol::Hello>(*decoded.message));
            return;
        }
        if (!decoded.ok() && decoded.error.code != ErrorCode::Unauthenticated &&
            payload.contains("\"hello\"")) {
            sendError(decoded.error.code, decoded.error.message, decoded.error.id,
                      decoded.error.field.isEmpty() ? std::nullopt
                                                    : std::optional(decoded.error.field));
        } else {
            sendError(ErrorCode::Unauthenticated, u"the first frame must be hello"_s,
                      decoded.ok() ? protocol::requestIdOf(*decoded.message) : decoded.error.id);
        }
        if (++m_helloStrikes >= kHelloStrikes)
            close(CloseCode::AuthFailed, u"no valid hello"_s);
        return;
    }
    if (m_state != State::Active)
        return;
    if (!decoded.ok()) {
        const protocol::DecodeError &e = decoded.error;
        sendError(e.code, e.message, e.id,
                  e.field.isEmpty() ? std::nullopt : std::optional(e.field));
        countBadRequest();
        return;
    }
    dispatch(std::move(*decoded.message));
}

bool Session::takeSendToken(protocol::RequestId id)
{
    const protocol::Limits &limits = m_ctx->config.limits;
    if (limits.ratePerSecond <= 0)
        return true;
    const qint64 now = monotonicMs();
    m_sendTokens = std::min<double>(limits.burst, m_sendTokens + double(now - m_tokensAt) *
                                                                     limits.ratePerSecond / 1000.0);
    m_tokensAt = now;
    if (m_sendTokens >= 1.0) {
        m_sendTokens -= 1.0;
        return true;
    }
    protocol::Error error =
        protocol::makeError(ErrorCode::RateLimited,
                            u"more than %1 messages per second"_s.arg(limits.ratePerSecond), id);
    error.retryAfterMs = qint64(std::ceil((1.0 - m_sendTokens) * 1000.0 / limits.ratePerSecond));
    bump(m_ctx->metrics->errorsByCode[size_t(ErrorCode::RateLimited)]);
    send(error);
    return false;
}

void Session::dispatch(protocol::ClientMessage &&message)
{
    Hub *hub = m_ctx->hub;
    std::visit(
        [&](auto &&m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, protocol::Hello>) {
                sendError(ErrorCode::BadRequest, u"already authenticated"_s, m.id);
                countBadRequest();
            } else if constexpr (std::is_same_v<T, protocol::PingRequest>) {
                send(protocol::Pong{m.id, QDateTime::currentMSecsSinceEpoch()});
            } else if constexpr (std::is_same_v<T, protocol::LogoutRequest>) {
                logout(m.id);
            } else if constexpr (std::is_same_v<T, protocol::RoomsRequest>) {
                postTo(hub, [hub, c = caller(m.id)] { hub->rooms(c); });
            } else if constexpr (std::is_same_v<T, protocol::CreateRequest>) {
                postTo(hub, [hub, c = caller(m.id), m] { hub->create(c, m); });
            } else if constexpr (std::is_same_v<T, protocol::JoinRequest>) {
                postTo(hub, [hub, c = caller(m.id), room = m.room] { hub->join(c, room); });
            } else if constexpr (std::is_same_v<T, protocol::LeaveRequest>) {
                postTo(hub, [hub, c = caller(m.id), room = m.room] { hub->leave(c, room); });
            } else if constexpr (std::is_same_v<T, protocol::MembersRequest>) {
                postTo(hub, [hub, c = caller(m.id), room = m.room] { hub->members(c, room); });
            } else if constexpr (std::is_same_v<T, protocol::InviteRequest>) {
                lookupUserThen(m.user, m.id,
                               [hub, c = caller(m.id), room = m.room](const StoredUser &u) {
                                   postTo(hub, [hub, c, room, u] { hub->invite(c, room, u); });
                               });
            } else if constexpr (std::is_same_v<T, protocol::DmRequest>) {
                lookupUserThen(m.user, m.id, [hub, c = caller(m.id)](const StoredUser &u) {
                    postTo(hub, [hub, c, u] { hub->dm(c, u); });
                });
            } else if constexpr (std::is_same_v<T, protocol::SendRequest>) {
                if (!takeSendToken(m.id))
                    return;
                if (m.kind == protocol::EventKind::File)
                    lookupFileThen(std::move(m));
                else
                    postTo(hub, [hub, c = caller(m.id), m] { hub->send(c, m); });
            } else if constexpr (std::is_same_v<T, protocol::HistoryRequest>) {
                if (m_backlog.size() > kMaxBacklogForHistory) {
                    // Pages it asked for but has not read yet: make it read them first.
                    protocol::Error e = protocol::makeError(
                        ErrorCode::RateLimited, u"read the pending history first"_s, m.id);
                    e.retryAfterMs = 500;
                    send(e);
                    return;
                }
                postTo(hub, [hub, c = caller(m.id), m] { hub->authorizeHistory(c, m); });
            } else if constexpr (std::is_same_v<T, protocol::SearchRequest>) {
                auto parsed = search::parseQuery(m.query, m.tzOffsetMinutes);
                if (const auto *bad = std::get_if<search::ParseError>(&parsed)) {
                    sendError(ErrorCode::Invalid,
                              bad->token.isEmpty() ? bad->message
                                                   : u"%1: %2"_s.arg(bad->token, bad->message),
                              m.id, u"query"_s);
                    return;
                }
                postTo(hub, [hub, c = caller(m.id), m, q = std::get<search::Query>(parsed)] {
                    hub->authorizeSearch(c, m, q);
                });
            } else if constexpr (std::is_same_v<T, protocol::ReadMarker>) {
                postTo(hub, [hub, c = caller(std::nullopt), m] { hub->read(c, m); });
            } else if constexpr (std::is_same_v<T, protocol::TypingRequest>) {
                postTo(hub,
                       [hub, c = caller(std::nullopt), room = m.room] { hub->typing(c, room); });
            } else if constexpr (std::is_same_v<T, protocol::PresenceRequest>) {
                postTo(hub, [hub, c = caller(std::nullopt), s = m.state] { hub->presence(c, s); });
            }
        },
        std::move(message));
}

void Session::lookupUserThen(const QString &name, protocol::RequestId id,
                             std::function<void(const StoredUser &)> then)
{
    ServerContext *ctx = m_ctx;
    IoWorker *worker = m_worker;
    const quint64 sid = m_id;
    startOn(ctx->authPool, [ctx, worker, sid, name, id, then = std::move(then)] {
        QString error;
        const std::optional<StoredUser> user = ctx->reader->findUser(name, &error);
        if (user) {
            then(*user);
            return;
        }
        backToSession(worker, sid, [name, id, error](Session *s) {
            if (error.isEmpty())
                s->sendError(ErrorCode::NotFound, u"no user '%1'"_s.arg(name), id);
            else
                s->sendError(ErrorCode::Unavailable, u"the store is not available"_s, id);
        });
    });
}

void Session::lookupFileThen(protocol::SendRequest request)
{
    // The event carries what the store knows of the file, never what the client says.
    ServerContext *ctx = m_ctx;
    IoWorker *worker = m_worker;
    const quint64 sid = m_id;
    const Caller c = caller(request.id);
    startOn(ctx->filePool, [ctx, worker, sid, c, request = std::move(request)]() mutable {
        QString error;
        const QString id = request.file->id;
        const std::optional<StoredFile> file = ctx->reader->file(id, &error);
        if (file && !file->thumbOf && file->uploader == c.user) {
            request.file = file->info();
            Hub *hub = ctx->hub;
            postTo(hub, [hub, c, request] { hub->send(c, request); });
            return;
        }
        backToSession(worker, sid, [id, error, file, c](Session *s) {
            if (!error.isEmpty())
                s->sendError(ErrorCode::Unavailable, u"the store is not available"_s, c.id);
            else if (file && !file->thumbOf)
                s->sendError(ErrorCode::Forbidden,
                             u"file %1 was uploaded by someone else"_s.arg(id), c.id, u"file.id"_s);
            else
                s->sendError(ErrorCode::NotFound,
                             u"no finished upload %1: upload it completely first"_s.arg(id), c.id,
                             u"file.id"_s);
        });
    });
}

void Session::runHistory(const protocol::HistoryRequest &r, qint64 lastSeq)
{
    ServerContext *ctx = m_ctx;
    IoWorker *worker = m_worker;
    const quint64 sid = m_id;
    startOn(ctx->readPool, [ctx, worker, sid, r, lastSeq] {
        // Events broadcast before this request may still sit in the writer's queue.
        const bool durable = ctx->seqBook->waitCommitted(r.room, lastSeq, kReadWaitMs);
        QString error;
        QList<protocol::Event> events;
        if (durable) {
            if (r.after)
                events = ctx->reader->events(r.room, *r.after, 0, r.limit, false, &error);
            else
                events =
                    ctx->reader->events(r.room, 0, r.before.value_or(0), r.limit, true, &error);
        }
        protocol::HistoryReply reply{r.id, r.room, events, false};
        if (!events.isEmpty())
            reply.more = r.after ? events.last().seq < lastSeq : events.first().seq > 1;
        else if (r.after)
            reply.more = *r.after < lastSeq && !durable;
        const QByteArray frame = wire::makeFrame(wire::Opcode::Text, protocol::encode(reply));
        backToSession(worker, sid, [frame, durable, error, id = r.id](Session *s) {
            if (!durable || !error.isEmpty())
                s->sendError(ErrorCode::Unavailable, u"history is not available right now"_s, id);
            else
                s->sendReply(frame);
        });
    });
}

void Session::runSearch(protocol::RequestId id, const SearchPlan &plan)
{
    ServerContext *ctx = m_ctx;
    IoWorker *worker = m_worker;
    const quint64 sid = m_id;
    startOn(ctx->searchPool, [ctx, worker, sid, id, plan] {
        QString error;
        const SearchOutcome out = ctx->reader->search(plan, ctx->config.searchBudgetMs, &error);
        if (!error.isEmpty())
            qCWarning(lcStore).noquote() << "search failed:" << error;
        protocol::SearchReply reply{id, out.hits, out.cursor, out.indexing, out.timedOut};
        const QByteArray frame = out.badCursor || !error.isEmpty()
                                     ? QByteArray()
                                     : wire::makeFrame(wire::Opcode::Text, protocol::encode(reply));
        backToSession(worker, sid, [frame, bad = out.badCursor, id](Session *s) {
            if (bad)
                s->sendError(ErrorCode::Invalid, u"the cursor is not one this search handed out"_s,
                             id, u"cursor"_s);
            else if (frame.isEmpty())
                s->sendError(ErrorCode::Unavailable, u"search is not available right now"_s, id);
            else
                s->sendReply(frame);
        });
    });
}

} // namespace confab::server
