/* CREATE INDEX CONCURRENTLY cannot run in a transaction: knex's per-migration switch */
exports.config = { transaction: false };

exports.up = (knex) => knex.raw('CREATE INDEX CONCURRENTLY users_name ON users (name)');

exports.down = (knex) => knex.raw('DROP INDEX users_name');
