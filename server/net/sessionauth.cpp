// Session authentication (hello), the welcome, replay on resume, and logout.
#include "auth/credentials.h"
#include "core/metrics.h"
#include "core/seqbook.h"
#include "logging.h"
#include "net/ioworker.h"
#include "net/session.h"
#include "store/reader.h"
#include "store/writer.h"

#include <QDateTime>
#include <QThreadPool>

namespace confab::server {

using namespace Qt::StringLiterals;
using protocol::AuthMethod;
using protocol::CloseCode;
using protocol::ErrorCode;

namespace {
constexpr int kReplayWaitMs = 10000;

using Finish = std::function<void(const AuthOutcome &)>;

AuthOutcome failure(ErrorCode code, const QString &message)
{
    AuthOutcome o;
    o.code = code;
    o.message = message;
    return o;
}

// Gives the user a fresh token; the welcome waits until the token is durable so a client
// never holds a token the server could forget.
void issueToken(ServerContext *ctx, AuthOutcome outcome, const Finish &finish)
{
    outcome.token = generateToken();
    InsertToken op{hashToken(outcome.token), outcome.user.name,
                   QDateTime::currentMSecsSinceEpoch()};
    ctx->writer->enqueue(op, [outcome, finish](WriteStatus status) mutable {
        if (status != WriteStatus::Committed)
            outcome = failure(ErrorCode::Unavailable, u"the store is not available"_s);
        finish(outcome);
    });
}

// Runs on the auth pool: Argon2id and store reads happen here, never on an I/O thread.
void authenticate(ServerContext *ctx, const protocol::Hello &hello, const Finish &finish)
{
    const protocol::Auth &auth = hello.auth;
    QString error;
    AuthOutcome ok;
    ok.ok = true;
    if (auth.method == AuthMethod::Token) {
        const std::optional<StoredUser> user =
            ctx->reader->userForToken(hashToken(auth.token), &error);
        if (!error.isEmpty())
            return finish(failure(ErrorCode::Unavailable, u"the store is not available"_s));
        if (!user)
            return finish(failure(ErrorCode::Unauthenticated, u"token unknown or revoked"_s));
        ok.user = *user;
        ok.token = auth.token;
        ok.readMarkers = ctx->reader->readMarkers(user->name, &error);
        return finish(ok);
    }
    const std::optional<StoredUser> existing = ctx->reader->findUser(auth.user, &error);
    if (!error.isEmpty())
        return finish(failure(ErrorCode::Unavailable, u"the store is not available"_s));
    if (auth.method == AuthMethod::Password) {
        if (!existing || !verifyPassword(existing->passwordHash, auth.password.toUtf8()))
            return finish(failure(ErrorCode::Unauthenticated, u"wrong user name or password"_s));
        ok.user = *existing;
        ok.readMarkers = ctx->reader->readMarkers(existing->name, &error);
        return issueToken(ctx, ok, finish);
    }
    if (!ctx->config.allowRegister)
        return finish(failure(ErrorCode::Forbidden, u"this server does not allow registration"_s));
    if (existing)
        return finish(failure(ErrorCode::Conflict, u"user name '%1' is taken"_s.arg(auth.user)));
    StoredUser user;
    user.name = auth.user;
    user.displayName = auth.displayName.value_or(auth.user);
    if (user.displayName.isEmpty())
        user.displayName = auth.user;
    user.createdAt = QDateTime::currentMSecsSinceEpoch();
    user.passwordHash = hashPassword(auth.password.toUtf8(), ctx->config.fastPasswordHash
                                                                 ? HashParams::minimal()
                                                                 : HashParams::interactive());
    ok.user = user;
    ctx->writer->enqueue(CreateUser{user}, [ctx, ok, finish](WriteStatus status) {
        if (status == WriteStatus::Conflict)
            return finish(
                failure(ErrorCode::Conflict, u"user name '%1' is taken"_s.arg(ok.user.name)));
        if (status != WriteStatus::Committed)
            return finish(failure(ErrorCode::Unavailable, u"the store is not available"_s));
        postTo(ctx->hub, [ctx, user = ok.user] { ctx->hub->userRegistered(user); });
        issueToken(ctx, ok, finish);
    });
}
} // namespace

void Session::startAuth(const protocol::Hello &hello)
{
    if (hello.protocol != protocol::kProtocolVersion) {
        close(CloseCode::UnsupportedVersion,
              u"protocol version %1 is not supported"_s.arg(hello.protocol));
        return;
    }
    m_state = State::Authenticating;
    m_since = hello.since;
    ServerContext *ctx = m_ctx;
    IoWorker *worker = m_worker;
    const quint64 sid = m_id;
    const protocol::RequestId rid = hello.id;
    const Finish finish = [worker, sid, rid](AuthOutcome outcome) {
        outcome.id = rid;
        postTo(worker, [worker, sid, outcome] {
            worker->withSession(sid, [&](Session *s) { s->authDone(outcome); });
        });
    };
    startOn(ctx->authPool, [ctx, hello, finish] { authenticate(ctx, hello, finish); });
}

void Session::authDone(const AuthOutcome &outcome)
{
    if (m_state != State::Authenticating)
        return;
    if (!outcome.ok) {
        bump(m_ctx->metrics->loginsFailed);
        qCInfo(lcAuth) << "authentication failed:" << outcome.message;
        sendError(outcome.code, outcome.message, outcome.id);
        close(CloseCode::AuthFailed, outcome.message);
        return;
    }
    bump(m_ctx->metrics->loginsOk);
    m_user = outcome.user.name;
    m_token = outcome.token;
    m_welcomeId = outcome.id;
    m_displayName = outcome.user.displayName;
    AuthedUser authed{outcome.user.name, outcome.user.displayName, outcome.user.isAdmin,
                      outcome.token, outcome.readMarkers};
    Hub *hub = m_ctx->hub;
    // From here on the hub counts this session, whatever becomes of it before the welcome.
    m_attached = true;
    postTo(hub, [hub, ref = ref(), authed, since = m_since] { hub->attach(ref, authed, since); });
}

void Session::attached(const QList<protocol::RoomInfo> &rooms, const QStringList &subscribed,
                       const QList<ReplayPlan> &plans)
{
    if (m_state != State::Authenticating)
        return;
    m_state = State::Active;
    m_welcomed = true;
    bump(m_ctx->metrics->sessionsActive);
    m_worker->sessionAuthenticated(this, subscribed);

    protocol::Welcome welcome;
    welcome.id = m_welcomeId;
    welcome.server = m_ctx->config.serverName;
    welcome.epoch = m_ctx->epoch;
    welcome.user = protocol::UserInfo{m_user, m_displayName};
    welcome.token = m_token;
    welcome.limits = m_ctx->config.limits;
    welcome.rooms = rooms;
    send(welcome);
    qCDebug(lcNet) << "session" << m_id << "welcomed" << m_user;

    ServerContext *ctx = m_ctx;
    IoWorker *worker = m_worker;
    const quint64 sid = m_id;
    for (const ReplayPlan &plan : plans) {
        if (plan.from >= plan.to) {
            send(protocol::Synced{plan.room, true});
            continue;
        }
        m_replaying.insert(plan.room, {});
        startOn(ctx->readPool, [ctx, worker, sid, plan] {
            QList<QByteArray> frames;
            bool complete = false;
            QString error;
            if (ctx->seqBook->waitCommitted(plan.room, plan.to, kReplayWaitMs)) {
                const QList<protocol::Event> events = ctx->reader->events(
                    plan.room, plan.from, plan.to + 1, protocol::kMaxReplayPerRoom, false, &error);
                for (const protocol::Event &e : events)
                    frames.append(wire::makeFrame(wire::Opcode::Text, protocol::encode(e)));
                complete = error.isEmpty() && !events.isEmpty() && events.last().seq == plan.to;
            }
            postTo(worker, [worker, sid, room = plan.room, frames, complete] {
                worker->withSession(sid,
                                    [&](Session *s) { s->replayDone(room, frames, complete); });
            });
        });
    }
}

void Session::replayDone(const QString &room, const QList<QByteArray> &frames, bool complete)
{
    const auto held = m_replaying.find(room);
    if (held == m_replaying.end())
        return;
    const QList<QByteArray> live = *held;
    m_replaying.erase(held);
    QList<QByteArray> replay = frames;
    replay.append(
        wire::makeFrame(wire::Opcode::Text, protocol::encode(protocol::Synced{room, complete})));
    queueReplay(replay, live, room);
}

void Session::logout(protocol::RequestId id)
{
    IoWorker *worker = m_worker;
    const quint64 sid = m_id;
    m_ctx->writer->enqueue(RevokeToken{hashToken(m_token)}, [worker, sid, id, user = m_user,
                                                             token = m_token](WriteStatus status) {
        if (status == WriteStatus::Committed) {
            // Every other connection that holds the token loses it too, on any worker.
            for (IoWorker *w : worker->peers()) {
                const quint64 except = w == worker ? sid : 0;
                postTo(w, [w, user, token, except] { w->closeRevoked(user, token, {}, except); });
            }
        }
        postTo(worker, [worker, sid, id, status] {
            worker->withSession(sid, [&](Session *s) {
                if (status != WriteStatus::Committed) {
                    s->sendError(ErrorCode::Unavailable, u"logout could not be stored"_s, id);
                    return;
                }
                s->send(protocol::Ok{id});
                s->close(CloseCode::Normal, u"logged out"_s);
            });
        });
    });
}

} // namespace confab::server
