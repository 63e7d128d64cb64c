PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE customers (email TEXT, first TEXT, last TEXT, phone TEXT, city TEXT,
                        score TEXT, birthday TEXT, interests TEXT);
INSERT INTO customers VALUES('frank@example.com','Frank','Fisher','555-0199','Florence','7','1985-06-15','books');
INSERT INTO customers VALUES('grace@example.com','Grace','','','Madrid','','','music,sports');
INSERT INTO customers VALUES('heidi@example.com','Heidi','Klum','555-0103','','99.99','1973-06-01','');
INSERT INTO customers VALUES('ivan@example.com','Ivan','','','Kyiv','0','','sports,books');
INSERT INTO customers VALUES('Bob@Example.com','Robert','','','Oslo','','','sports');
INSERT INTO customers VALUES('judy@example.com','','Judy','','Vienna','-1.5','2000-02-29','books,music,sports');
INSERT INTO customers VALUES('not an address','Bad','','','','','','');
COMMIT;
