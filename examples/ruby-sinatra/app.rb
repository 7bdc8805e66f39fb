require "securerandom"
require "json"
require "redis"
require "sinatra/base"

# A tiny link shortener: POST a URL, get a short code; GET the code to be redirected.
class LinkShortener < Sinatra::Base
  configure do
    set :redis, Redis.new(url: ENV.fetch("REDIS_URL", "redis://localhost:6379/0"))
    set :base_url, ENV.fetch("BASE_URL", "http://localhost:4567")
    set :code_ttl, Integer(ENV.fetch("LINK_TTL_SECONDS", "2592000"))
    enable :sessions
    set :session_secret, ENV.fetch("SESSION_SECRET")
  end

  get "/healthz" do
    settings.redis.ping
    content_type :json
    { status: "ok" }.to_json
  end

  get "/" do
    erb :index, locals: { recent: session[:recent] || [] }
  end

  post "/links" do
    url = params.fetch("url", "")
    halt 422, "url must start with http:// or https://" unless url.match?(%r{\Ahttps?://})

    code = SecureRandom.alphanumeric(7)
    settings.redis.set("link:#{code}", url, ex: settings.code_ttl)
    (session[:recent] ||= []).unshift(code)
    redirect to("/"), 303
  end

  get "/:code" do
    url = settings.redis.get("link:#{params[:code]}")
    halt 404, "unknown link" unless url

    redirect url, 301
  end
end
