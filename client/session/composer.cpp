#include "session/composer.h"

namespace confab::client {

namespace {
constexpr int kSaveDelayMs = 300;
}

Composer::Composer(QObject *parent)
    : QObject(parent)
{
    m_saveTimer.setSingleShot(true);
    m_saveTimer.setInterval(kSaveDelayMs);
    connect(&m_saveTimer, &QTimer::timeout, this, &Composer::flush);
}

Composer::~Composer()
{
    flush();
}

void Composer::setText(const QString &text)
{
    if (text == m_text)
        return;
    m_text = text;
    emit textChanged();
    emit edited();
    if (!editing())
        scheduleSave();
}

void Composer::scheduleSave()
{
    m_dirty = true;
    m_saveTimer.start();
}

void Composer::flush()
{
    if (!m_dirty)
        return;
    m_dirty = false;
    m_saveTimer.stop();
    emit draftChanged(editing() ? m_savedDraft : m_text, m_replyTo);
}

void Composer::startReply(qint64 seq)
{
    if (editing())
        cancel();
    m_replyTo = seq;
    emit targetChanged();
    scheduleSave();
}

void Composer::startEdit(qint64 seq, const QString &currentBody)
{
    if (!editing())
        m_savedDraft = m_text;
    m_replyTo = 0;
    m_editTarget = seq;
    m_text = currentBody;
    emit targetChanged();
    emit textChanged();
}

void Composer::cancel()
{
    if (editing()) {
        m_editTarget = 0;
        m_text = m_savedDraft;
        m_savedDraft.clear();
        emit textChanged();
    } else if (m_replyTo != 0) {
        m_replyTo = 0;
        scheduleSave();
    }
    emit targetChanged();
}

void Composer::clear()
{
    const bool wasEditing = editing();
    m_editTarget = 0;
    m_replyTo = 0;
    m_text = wasEditing ? m_savedDraft : QString();
    m_savedDraft.clear();
    emit targetChanged();
    emit textChanged();
    scheduleSave();
}

void Composer::restore(const QString &text, qint64 replyTo)
{
    m_text = text;
    m_replyTo = replyTo;
    emit textChanged();
    emit targetChanged();
}

} // namespace confab::client
