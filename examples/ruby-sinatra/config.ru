require_relative "app"

run LinkShortener
