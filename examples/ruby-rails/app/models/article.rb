class Article < ApplicationRecord
  validates :title, presence: true

  scope :published, -> { where.not(published_at: nil) }
end
