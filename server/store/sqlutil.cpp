#include "store/sqlutil.h"

namespace confab::server::sql {

using namespace Qt::StringLiterals;

QString describe(const QString &what, const QSqlError &e)
{
    QString text = u"%1: %2"_s.arg(what, e.text().trimmed());
    if (!e.nativeErrorCode().isEmpty())
        text += u" [%1]"_s.arg(e.nativeErrorCode());
    return text;
}

bool exec(QSqlQuery &q, const QString &what, QString *error)
{
    if (q.exec())
        return true;
    setError(error, describe(what, q.lastError()));
    return false;
}

bool exec(QSqlQuery &q, std::initializer_list<QVariant> values, const QString &what, QString *error)
{
    int i = 0;
    for (const QVariant &v : values)
        q.bindValue(i++, bindable(v));
    return exec(q, what, error);
}

bool exec(const QSqlDatabase &db, const QString &statement, QString *error)
{
    QSqlQuery q(db);
    if (q.exec(statement))
        return true;
    setError(error, describe(statement.simplified().left(80), q.lastError()));
    return false;
}

bool prepare(QSqlQuery &q, const QString &statement, QString *error)
{
    if (q.prepare(statement))
        return true;
    setError(error, describe(u"prepare "_s + statement.simplified().left(80), q.lastError()));
    return false;
}

} // namespace confab::server::sql
