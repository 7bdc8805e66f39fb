import asyncio

import tornado.web
from tornado.options import define, options, parse_command_line

define("port", default=8888, help="run on the given port", type=int)
define("debug", default=False, help="run in debug mode")


class HealthHandler(tornado.web.RequestHandler):
    def get(self) -> None:
        self.write("ok")


class RoomsHandler(tornado.web.RequestHandler):
    def get(self) -> None:
        self.write({"rooms": ["general"]})


async def main() -> None:
    parse_command_line()
    app = tornado.web.Application([(r"/health", HealthHandler), (r"/rooms", RoomsHandler)], debug=options.debug)
    app.listen(options.port)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
