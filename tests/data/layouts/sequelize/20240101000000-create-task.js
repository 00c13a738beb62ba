'use strict';

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.sequelize.query('CREATE TABLE tasks (id serial PRIMARY KEY, title text); CREATE INDEX tasks_title ON tasks (title);');
    const re = /it's a regex with a quote/;
    await queryInterface.sequelize.query("ALTER TABLE tasks ADD COLUMN done boolean DEFAULT false");
  },

  async down(queryInterface, Sequelize) {
    await queryInterface.sequelize.query('DROP TABLE tasks');
  }
};
