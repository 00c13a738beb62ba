import { MigrationInterface, QueryRunner } from "typeorm";
export class AddFlag1700000000000 implements MigrationInterface {
    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "user" ADD "flag" boolean NOT NULL DEFAULT false`);
        await queryRunner.query('CREATE TABLE "x" ("id" SERIAL, \'q\' text)');
    }
    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "user" DROP COLUMN "flag"`);
    }
}
